#pragma once

namespace typenet::detail {
// Routes the pipelines' intermediate allocations through a bounded cache of
// freed blocks (see scratch_memory.cpp).
void use_cached_scratch_memory();
}  // namespace typenet::detail
