// Memory for the pipelines' intermediate buffers. A training step allocates
// and frees the same few large buffers every call; from malloc they come as
// fresh pages each time (glibc maps blocks this large anew), and the page
// faults cost about 40% of a 16->16 conv's forward+backward. Freed blocks are
// kept, by size, up to a bound, and handed back to the next call.
#include "scratch_memory.hpp"

#include <HalideRuntime.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace typenet::detail {
namespace {

constexpr std::size_t alignment = 128;          // what Halide's own allocator gives
constexpr std::size_t cache_limit = 512u << 20;  // bytes kept for reuse at most

std::mutex cache_mutex;
std::unordered_map<std::size_t, std::vector<void*>> cache;  // block size -> free blocks
std::size_t cached_bytes = 0;

// Each block starts with its size, one alignment unit before what the caller gets.
void* allocate(void*, std::size_t size) {
    const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
    {
        std::lock_guard lock(cache_mutex);
        if (auto it = cache.find(rounded); it != cache.end() && !it->second.empty()) {
            void* block = it->second.back();
            it->second.pop_back();
            cached_bytes -= rounded;
            return block;
        }
    }
    void* raw = std::aligned_alloc(alignment, rounded + alignment);
    if (!raw) return nullptr;
    *static_cast<std::size_t*>(raw) = rounded;
    return static_cast<char*>(raw) + alignment;
}

void release(void*, void* block) {
    if (!block) return;
    void* raw = static_cast<char*>(block) - alignment;
    const std::size_t rounded = *static_cast<std::size_t*>(raw);
    {
        std::lock_guard lock(cache_mutex);
        if (cached_bytes + rounded <= cache_limit) {
            cache[rounded].push_back(block);
            cached_bytes += rounded;
            return;
        }
    }
    std::free(raw);
}

}  // namespace

void use_cached_scratch_memory() {
    halide_set_custom_malloc(allocate);
    halide_set_custom_free(release);
}

}  // namespace typenet::detail
