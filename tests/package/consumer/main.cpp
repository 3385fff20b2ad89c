// An outside project: only the installed headers and find_package(typenet).
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

inline constexpr auto net = input<3, 32, 32> | conv<8, 3> | relu | maxpool<2> | flatten | dense<10>;
static_assert(output_shape(net) == shape<10, 1, 1>);

int main() { return parameter_count(net) == (8 * 3 * 9 + 8) + (8 * 15 * 15 * 10 + 10) ? 0 : 1; }
