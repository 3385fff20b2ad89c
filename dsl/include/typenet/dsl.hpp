// typenet's network language: a convolutional network is a constexpr value
// whose type is its whole architecture.
//
//   #include <typenet/dsl.hpp>
//   using namespace typenet::dsl;
//   inline constexpr auto net = input<1, 28, 28> | conv<16, 3> | relu | maxpool<2>
//                             | flatten | dense<10> | softmax_xent<10>;
//   static_assert(output_shape(net) == shape<10, 1, 1>);
//
// Header-only; needs only Boost (Hana) and a C++20 compiler.
#pragma once

#include "dsl/analysis.hpp"
#include "dsl/compose.hpp"
#include "dsl/graph.hpp"
#include "dsl/layer_spec.hpp"
#include "dsl/layers/concat.hpp"
#include "dsl/layers/conv.hpp"
#include "dsl/layers/dense.hpp"
#include "dsl/layers/elementwise.hpp"
#include "dsl/layers/fixed_conv.hpp"
#include "dsl/layers/pool.hpp"
#include "dsl/layers/residual.hpp"
#include "dsl/layout.hpp"
#include "dsl/network.hpp"
#include "dsl/options.hpp"
#include "dsl/pipeline_signature.hpp"
#include "dsl/queries.hpp"
#include "dsl/shape.hpp"
#include "dsl/summary.hpp"
#include "dsl/text.hpp"
#include "dsl/trace.hpp"
#include "dsl/training_layout.hpp"
#include "dsl/training_segments.hpp"
