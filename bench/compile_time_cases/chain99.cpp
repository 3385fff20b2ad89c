// The lesson's 99-layer chain, with the queries the sample asks of it.
#include <typenet/dsl.hpp>
using namespace typenet::dsl;
inline constexpr auto chain = input<1, 199, 199> | repeat<99>(conv<1, 3>);
static_assert(output_shape(chain) == shape<1, 1, 1>);
static_assert(receptive_field(chain) == 199);
static_assert(shape_trace(chain).ends_with("3x3 > 1x1"));
int main() { return static_cast<int>(parameter_layout(chain).size()) - 198; }
