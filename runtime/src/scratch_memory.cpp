// Memory for the pipelines' intermediate buffers. A training step allocates
// and frees the same few large buffers every call; from malloc they come as
// fresh pages each time (glibc maps blocks this large anew), and the page
// faults cost about 40% of a 16->16 conv's forward+backward. Freed blocks are
// kept, up to a bound, and handed to the next request they fit: the
// smallest that holds it, if at most twice its size. Kept by exact size
// instead, every pipeline of a network trained in segments held blocks of
// its own, and the cache grew with the number of pipelines, not with the
// largest of them.
#include "scratch_memory.hpp"

#include <HalideRuntime.h>

#include <cstdlib>
#include <mutex>
#include <map>

namespace typenet::detail {
namespace {

constexpr std::size_t alignment = 128;          // what Halide's own allocator gives
constexpr std::size_t cache_limit = 512u << 20;  // bytes kept for reuse at most

void free_block(void* block) { std::free(static_cast<char*>(block) - alignment); }

// Free blocks by size; returned to the system when the program ends, so a
// leak checker sees only what is really lost.
struct block_cache : std::multimap<std::size_t, void*> {
    ~block_cache() {
        for (const auto& [size, block] : *this) free_block(block);
    }
};

std::mutex cache_mutex;
block_cache cache;
std::size_t cached_bytes = 0;

// Each block starts with its size, one alignment unit before what the caller gets.
void* allocate(void*, std::size_t size) {
    const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
    {
        std::lock_guard lock(cache_mutex);
        if (auto it = cache.lower_bound(rounded); it != cache.end() && it->first / 2 <= rounded) {
            void* block = it->second;
            cached_bytes -= it->first;
            cache.erase(it);
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
    const std::size_t rounded = *reinterpret_cast<std::size_t*>(static_cast<char*>(block) - alignment);
    {
        std::lock_guard lock(cache_mutex);
        if (cached_bytes + rounded <= cache_limit) {
            cache.emplace(rounded, block);
            cached_bytes += rounded;
            return;
        }
    }
    free_block(block);
}

}  // namespace

void use_cached_scratch_memory() {
    halide_set_custom_malloc(allocate);
    halide_set_custom_free(release);
}

}  // namespace typenet::detail
