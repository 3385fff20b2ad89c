#include <typenet/safetensors.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace typenet {

std::int64_t stored_tensor::elements() const {
    std::int64_t n = 1;
    for (std::int64_t d : shape) n *= d;
    return n;
}

std::string stored_tensor::shape_text() const {
    std::string s;
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
    return s.empty() ? "scalar" : s;
}

const stored_tensor* safetensors_file::find(const std::string& name) const {
    for (const stored_tensor& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

namespace {
template <class T>
void add(safetensors_file& f, std::string name, std::string dtype, std::vector<std::int64_t> shape,
         std::span<const T> values) {
    stored_tensor t{std::move(name), std::move(dtype), std::move(shape), {}};
    const auto bytes = std::as_bytes(values);
    t.data.assign(bytes.begin(), bytes.end());
    f.tensors.push_back(std::move(t));
}
}  // namespace

void safetensors_file::add_f32(std::string name, std::vector<std::int64_t> shape, std::span<const float> values) {
    add(*this, std::move(name), "F32", std::move(shape), values);
}
void safetensors_file::add_i64(std::string name, std::vector<std::int64_t> shape, std::span<const std::int64_t> values) {
    add(*this, std::move(name), "I64", std::move(shape), values);
}

std::size_t dtype_size(const std::string& dtype) {
    if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
    if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
    if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
    if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
    return 0;
}

namespace {
[[noreturn]] void fail_io(const std::filesystem::path& path, const std::string& doing, int error) {
    throw checkpoint_error("typenet: cannot save checkpoint " + path.string() + ": " + doing + " failed: " +
                           std::strerror(error) + "; the previous file (if any) is unchanged");
}

void write_all(int fd, const void* data, std::size_t size, const std::filesystem::path& path) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_io(path, "writing", n < 0 ? errno : ENOSPC);
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

// Removes the temporary file unless the rename succeeded.
struct temporary_file {
    std::filesystem::path path;
    int fd = -1;
    bool keep = false;
    ~temporary_file() {
        if (fd >= 0) ::close(fd);
        if (!keep) ::unlink(path.c_str());
    }
};
}  // namespace

void write_safetensors(const std::filesystem::path& path, const safetensors_file& file) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
    std::size_t offset = 0;
    for (const stored_tensor& t : file.tensors) {
        if (t.data.size() != std::size_t(t.elements()) * dtype_size(t.dtype))
            throw std::logic_error("typenet: tensor " + t.name + " holds " + std::to_string(t.data.size()) +
                                   " bytes, not what its dtype and shape need");
        header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.data.size()}}};
        offset += t.data.size();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
    const std::uint64_t length = text.size();

    temporary_file temp{path.parent_path() / (path.filename().string() + ".tmp-" + std::to_string(::getpid()))};
    temp.fd = ::open(temp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (temp.fd < 0) fail_io(path, "creating " + temp.path.string(), errno);
    write_all(temp.fd, &length, 8, path);
    write_all(temp.fd, text.data(), text.size(), path);
    for (const stored_tensor& t : file.tensors) write_all(temp.fd, t.data.data(), t.data.size(), path);
    if (::fsync(temp.fd) != 0) fail_io(path, "flushing to disk", errno);
    const int fd = temp.fd;
    temp.fd = -1;
    if (::close(fd) != 0) fail_io(path, "closing", errno);
    if (::rename(temp.path.c_str(), path.c_str()) != 0) fail_io(path, "renaming the temporary file", errno);
    temp.keep = true;
    // The rename itself reaches the disk once the directory is flushed.
    const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
    if (int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

safetensors_file read_safetensors(const std::filesystem::path& path) {
    const auto fail = [&](const std::string& what) -> void {
        throw checkpoint_error("typenet: checkpoint " + path.string() + ": " + what);
    };
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot be opened (no such file?)");
    in.seekg(0, std::ios::end);
    const auto file_size = static_cast<std::uint64_t>(in.tellg());
    in.seekg(0);
    std::uint64_t length = 0;
    if (file_size < 8 || !in.read(reinterpret_cast<char*>(&length), 8)) fail("is too short for a safetensors header");
    if (length > file_size - 8) fail("declares a header of " + std::to_string(length) + " bytes but the file has " +
                                     std::to_string(file_size) + " bytes in all; it is truncated or not safetensors");
    std::string text(length, '\0');
    in.read(text.data(), static_cast<std::streamsize>(length));
    nlohmann::json header = nlohmann::json::parse(text, nullptr, false);
    if (header.is_discarded() || !header.is_object()) fail("its header is not a JSON object; the file is damaged");

    const std::uint64_t data_size = file_size - 8 - length;
    std::vector<std::byte> data(data_size);
    if (!in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data_size))) fail("cannot be read");

    safetensors_file out;
    struct placed {
        std::uint64_t begin, end;
        std::string name;
    };
    std::vector<placed> spans;
    for (auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) fail("__metadata__ is not an object");
            for (auto& [key, value] : entry.items()) {
                if (!value.is_string()) fail("metadata \"" + key + "\" is not a string");
                out.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        try {
            stored_tensor t;
            t.name = name;
            t.dtype = entry.at("dtype").get<std::string>();
            t.shape = entry.at("shape").get<std::vector<std::int64_t>>();
            const auto offsets = entry.at("data_offsets").get<std::vector<std::uint64_t>>();
            if (dtype_size(t.dtype) == 0) fail("tensor \"" + name + "\" has unknown dtype " + t.dtype);
            if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size)
                fail("tensor \"" + name + "\" lies outside the file's data; the file is truncated or damaged");
            for (std::int64_t d : t.shape)
                if (d < 0) fail("tensor \"" + name + "\" has a negative dimension");
            if (offsets[1] - offsets[0] != std::uint64_t(t.elements()) * dtype_size(t.dtype))
                fail("tensor \"" + name + "\" has " + std::to_string(offsets[1] - offsets[0]) +
                     " bytes, which does not match its dtype and shape " + t.shape_text());
            t.data.assign(data.begin() + std::ptrdiff_t(offsets[0]), data.begin() + std::ptrdiff_t(offsets[1]));
            spans.push_back({offsets[0], offsets[1], name});
            out.tensors.push_back(std::move(t));
        } catch (const nlohmann::json::exception&) {
            fail("tensor \"" + name + "\" lacks dtype, shape or data_offsets");
        }
    }
    // Sorted by position, as the writer laid them out.
    std::vector<std::size_t> order(out.tensors.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return spans[a].begin < spans[b].begin; });
    std::vector<stored_tensor> sorted;
    std::uint64_t expected = 0;
    for (std::size_t i : order) {
        if (spans[i].begin != expected) fail("tensor \"" + spans[i].name + "\" overlaps another or leaves a gap");
        expected = spans[i].end;
        sorted.push_back(std::move(out.tensors[i]));
    }
    if (expected != data_size) fail("holds " + std::to_string(data_size - expected) + " bytes after its last tensor");
    out.tensors = std::move(sorted);
    return out;
}

}  // namespace typenet
