// Baseline: the language's headers and nothing else.
#include <typenet/dsl.hpp>
int main() {}
