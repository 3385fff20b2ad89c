#include <typenet/safetensors.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
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
// A run killed while saving leaves its temporary file behind; the next save
// beside it removes those whose process is gone (on this machine: a writer on
// another host sharing the folder is not asked, so one of its PIDs that is
// free here loses its temporary file and its save fails with a message).
void remove_stale_temporaries(const std::filesystem::path& path) {
    const std::string prefix = path.filename().string() + ".tmp-";
    const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix)) continue;
        pid_t pid = 0;
        const char* digits = name.data() + prefix.size();
        const auto [end, error] = std::from_chars(digits, name.data() + name.size(), pid);
        if (error != std::errc() || end != name.data() + name.size() || pid <= 0 || pid == ::getpid()) continue;
        if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
        std::filesystem::remove(entry.path(), ec);
    }
}
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
    remove_stale_temporaries(path);
}

namespace {
// The safetensors format's own limit on the JSON header.
constexpr std::uint64_t max_header_bytes = 100u << 20;

struct placed_tensor {
    std::uint64_t begin, end;
    std::size_t index;  // in safetensors_file::tensors
};

// `entry`'s dtype, shape and data offsets, each checked against the data
// section's size before anything is allocated for it.
placed_tensor read_entry(const std::string& name, const nlohmann::json& entry, std::uint64_t data_size,
                         stored_tensor& t, const std::function<void(const std::string&)>& fail) {
    const std::string quoted = "tensor \"" + name + "\"";
    if (!entry.is_object()) fail(quoted + " is not a JSON object");
    const auto dtype = entry.find("dtype"), shape = entry.find("shape"), offsets = entry.find("data_offsets");
    if (dtype == entry.end() || shape == entry.end() || offsets == entry.end())
        fail(quoted + " lacks dtype, shape or data_offsets");
    if (!dtype->is_string() || dtype_size(dtype->get<std::string>()) == 0)
        fail(quoted + " has unknown dtype " + dtype->dump());
    const auto count = [](const nlohmann::json& v) { return v.is_number_unsigned(); };
    if (!shape->is_array() || shape->size() > 8 || !std::all_of(shape->begin(), shape->end(), count))
        fail(quoted + " has a shape that is not a list of at most 8 non-negative integers: " + shape->dump());
    if (!offsets->is_array() || offsets->size() != 2 || !std::all_of(offsets->begin(), offsets->end(), count))
        fail(quoted + " has data_offsets that are not two non-negative integers: " + offsets->dump());
    t.name = name;
    t.dtype = dtype->get<std::string>();
    std::uint64_t bytes = dtype_size(t.dtype);
    for (const auto& d : *shape) {
        const std::uint64_t n = d.get<std::uint64_t>();
        if (n > std::uint64_t(std::numeric_limits<std::int64_t>::max()) || __builtin_mul_overflow(bytes, n, &bytes))
            fail(quoted + " has a shape " + shape->dump() + " whose size overflows");
        t.shape.push_back(std::int64_t(n));
    }
    const std::uint64_t begin = (*offsets)[0].get<std::uint64_t>(), end = (*offsets)[1].get<std::uint64_t>();
    if (begin > end || end > data_size)
        fail(quoted + " lies outside the file's data; the file is truncated or damaged");
    if (end - begin != bytes)
        fail(quoted + " has " + std::to_string(end - begin) + " bytes, which does not match its dtype and shape " +
             t.shape_text());
    return {begin, end, 0};
}
}  // namespace

safetensors_file read_safetensors(const std::filesystem::path& path) {
    const std::function<void(const std::string&)> fail = [&](const std::string& what) {
        throw checkpoint_error("typenet: checkpoint " + path.string() + ": " + what);
    };
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) fail("cannot be opened: no such file");
    if (!std::filesystem::is_regular_file(path, ec)) fail("is not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot be opened");
    const std::uint64_t file_size = std::filesystem::file_size(path, ec);
    if (ec) fail("cannot be read (" + ec.message() + ")");
    std::uint64_t length = 0;
    if (file_size < 8 || !in.read(reinterpret_cast<char*>(&length), 8)) fail("is too short for a safetensors header");
    if (length > file_size - 8) fail("declares a header of " + std::to_string(length) + " bytes but the file has " +
                                     std::to_string(file_size) + " bytes in all; it is truncated or not safetensors");
    if (length > max_header_bytes)
        fail("declares a header of " + std::to_string(length) + " bytes, more than safetensors' limit of 100 MB");
    std::string text(length, '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(length))) fail("cannot be read");
    const nlohmann::json header = nlohmann::json::parse(text, nullptr, false);
    if (header.is_discarded() || !header.is_object()) fail("its header is not a JSON object; the file is damaged");

    const std::uint64_t data_size = file_size - 8 - length;
    safetensors_file out;
    std::vector<placed_tensor> spans;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) fail("__metadata__ is not an object");
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string()) fail("metadata \"" + key + "\" is not a string");
                out.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        stored_tensor t;
        spans.push_back(read_entry(name, entry, data_size, t, fail));
        spans.back().index = out.tensors.size();
        out.tensors.push_back(std::move(t));
    }
    // Laid out back to back, as the writer does: no overlap, no gap. Checked
    // before reading, so no tensor's bytes are read twice.
    std::sort(spans.begin(), spans.end(), [](const placed_tensor& a, const placed_tensor& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t expected = 0;
    for (const placed_tensor& s : spans) {
        if (s.begin != expected)
            fail("tensor \"" + out.tensors[s.index].name + "\" overlaps another or leaves a gap");
        expected = s.end;
    }
    if (expected != data_size) fail("holds " + std::to_string(data_size - expected) + " bytes after its last tensor");

    std::vector<stored_tensor> sorted;
    sorted.reserve(spans.size());
    for (const placed_tensor& s : spans) {
        stored_tensor& t = out.tensors[s.index];
        t.data.resize(s.end - s.begin);
        if (!in.read(reinterpret_cast<char*>(t.data.data()), static_cast<std::streamsize>(t.data.size())))
            fail("cannot be read (it changed while being read?)");
        sorted.push_back(std::move(t));
    }
    out.tensors = std::move(sorted);
    return out;
}

}  // namespace typenet
