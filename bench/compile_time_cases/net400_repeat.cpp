// 400 layers (100 conv-batchnorm-relu-dropout blocks) built with repeat.
#include <typenet/dsl.hpp>
using namespace typenet::dsl;
inline constexpr auto net = input<8, 64, 64> | repeat<100>(conv<8, 3, pad<1>> | batchnorm | relu | dropout<0.1>);
static_assert(depth(net) == 400);
static_assert(parameter_count(net) == 100 * (8 * 8 * 9 + 8 + 16));
static_assert(output_shape(net) == shape<8, 64, 64>);
int main() { return static_cast<int>(parameter_layout(net).size()) - 400; }
