// Seed question 3: how many 3x3 convolutions take 199x199 to 1x1?
// The network's type answers; the compiler checks the answer.
#include <iostream>
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

inline constexpr auto chain = input<1, 199, 199> | repeat<99>(conv<1, 3>);

constexpr int count_3x3_convolutions() {
    int n = 0;
    for (const layer_info& l : layers(chain))
        if (l.kind == layer_kind::conv && l.slides->kh == 3 && l.slides->kw == 3) ++n;
    return n;
}

static_assert(count_3x3_convolutions() == 99);
static_assert(output_shape(chain) == shape<1, 1, 1>);
static_assert(receptive_field(chain) == 199);  // the one output pixel sees the whole image
static_assert(shape_trace(chain).starts_with("199x199 > 197x197 > 195x195"));
static_assert(shape_trace(chain).ends_with("5x5 > 3x3 > 1x1"));

int main() {
    std::cout << shape_trace(chain) << '\n'
              << "Number of 3x3 convolutions = " << count_3x3_convolutions() << '\n';
}
