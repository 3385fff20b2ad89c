#include <typenet/idx.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <string>

namespace typenet {

namespace {
constexpr std::size_t max_idx_bytes = std::size_t(1) << 34;
constexpr std::size_t max_expansion = 64;

struct gz_closer {
    void operator()(gzFile f) const { gzclose(f); }
};
using gz_file = std::unique_ptr<std::remove_pointer_t<gzFile>, gz_closer>;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
    throw data_error(path.string() + ": " + what);
}

// Reads up to `size` bytes; the count read. A zlib error (a damaged .gz) throws.
std::size_t read_some(gzFile file, const std::filesystem::path& path, void* into, std::size_t size) {
    auto* out = static_cast<unsigned char*>(into);
    std::size_t done = 0;
    while (done < size) {
        const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size - done, 1u << 30));
        const int got = gzread(file, out + done, chunk);
        if (got < 0) {
            int code = 0;
            const char* message = gzerror(file, &code);
            fail(path, std::string("cannot be decompressed (") + message + "); the file is damaged, download it again");
        }
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    return done;
}
}  // namespace

idx_array read_idx(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) fail(path, "no such file");
    gz_file file(gzopen(path.c_str(), "rb"));
    if (!file) fail(path, "cannot be opened");
    gzbuffer(file.get(), 1 << 18);

    std::array<unsigned char, 4> magic{};
    if (read_some(file.get(), path, magic.data(), 4) != 4) fail(path, "is too short to be an IDX file (no 4-byte magic number)");
    if (magic[0] != 0 || magic[1] != 0)
        fail(path, "is not an IDX file: its magic number does not start with two zero bytes");
    if (magic[2] != 0x08)
        fail(path, "holds elements of type 0x" + std::to_string(magic[2]) + ", but only unsigned bytes (0x08) are supported");
    const int rank = magic[3];
    if (rank < 1 || rank > 4) fail(path, "declares " + std::to_string(rank) + " dimensions; 1 to 4 are supported");

    idx_array out;
    std::size_t count = 1;
    for (int d = 0; d < rank; ++d) {
        std::array<unsigned char, 4> be{};
        if (read_some(file.get(), path, be.data(), 4) != 4)
            fail(path, "ends inside its header (dimension " + std::to_string(d + 1) + " of " + std::to_string(rank) + ")");
        const std::uint32_t dim = std::uint32_t(be[0]) << 24 | std::uint32_t(be[1]) << 16 | std::uint32_t(be[2]) << 8 | be[3];
        if (dim == 0) fail(path, "declares a dimension of size 0");
        if (count > max_idx_bytes / dim) fail(path, "declares more than 16 GiB of data");
        count *= dim;
        out.dims.push_back(dim);
    }
    const std::size_t header = 4 + 4 * std::size_t(rank);
    const bool compressed = gzdirect(file.get()) == 0;
    const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
    if (ec) fail(path, "cannot be read (" + ec.message() + ")");
    if (!compressed && file_size - header < count)
        fail(path, "is truncated: its header declares " + std::to_string(count) + " bytes of data but it holds " +
                       std::to_string(file_size - header) + "; download it again");
    // The header is not trusted with an allocation: a compressed file's
    // buffer grows with the data actually read, up to max_expansion times the
    // file's size (Fashion-MNIST expands 1.8 times, MNIST 4.7).
    const std::size_t most = std::size_t(file_size) * max_expansion + (std::size_t(1) << 20);
    std::size_t got = 0;
    while (got < count) {
        out.values.resize(compressed ? std::min(count, std::max(std::size_t(1) << 20, 2 * got)) : count);
        got += read_some(file.get(), path, out.values.data() + got, out.values.size() - got);
        if (got < out.values.size()) break;
        if (compressed && got > most)
            fail(path, "expands to more than " + std::to_string(max_expansion) + " times its compressed size of " +
                           std::to_string(file_size) + " bytes (its header declares " + std::to_string(count) +
                           " bytes): it is damaged or not data; if it is genuine, gunzip it and pass the plain file");
    }
    if (got != count)
        fail(path, "is truncated: its header declares " + std::to_string(count) + " bytes of data but it holds " +
                       std::to_string(got) + "; download it again");
    unsigned char extra = 0;
    if (read_some(file.get(), path, &extra, 1) != 0)
        fail(path, "has more data than its header declares (" + std::to_string(count) + " bytes); it is not a valid IDX file");
    return out;
}

}  // namespace typenet
