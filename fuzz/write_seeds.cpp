// Writes the seed corpora of fuzz/corpus/: small valid files of each kind
// and a few near misses, made by the project's own writers (checkpoints,
// safetensors) or by the formats' rules (IDX) and stb_image_write (images).
//   fuzz_write_seeds fuzz/corpus
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#include <zlib.h>

#include <fstream>
#include <iostream>
#include <typenet/safetensors.hpp>
#include <vector>

#include "harnesses.hpp"

namespace {
using bytes = std::vector<unsigned char>;

void write(const std::filesystem::path& path, const bytes& b) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}
bytes read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(in), {});
}
bytes gzip(const bytes& b) {
    bytes out(compressBound(uLong(b.size())) + 32);
    z_stream z{};
    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: a gzip wrapper
    z.next_in = const_cast<unsigned char*>(b.data());
    z.avail_in = uInt(b.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}
bytes idx(std::vector<std::uint32_t> dims) {
    bytes out{0, 0, 0x08, static_cast<unsigned char>(dims.size())};
    std::size_t count = 1;
    for (std::uint32_t d : dims) {
        count *= d;
        for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<unsigned char>(d >> shift));
    }
    for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<unsigned char>(i * 37 % 256));
    return out;
}
bytes cut(bytes b, std::size_t drop) {
    b.resize(b.size() - std::min(drop, b.size()));
    return b;
}
void image(const std::filesystem::path& dir) {
    constexpr int w = 12, h = 8;
    bytes gray(w * h), rgb(w * h * 3);
    for (int i = 0; i < w * h; ++i) gray[i] = static_cast<unsigned char>(i * 9), rgb[3 * i] = gray[i], rgb[3 * i + 2] = 255 - gray[i];
    std::filesystem::create_directories(dir);
    stbi_write_png((dir / "gray.png").c_str(), w, h, 1, gray.data(), w);
    stbi_write_png((dir / "rgb.png").c_str(), w, h, 3, rgb.data(), w * 3);
    stbi_write_png((dir / "gray_alpha.png").c_str(), w / 2, h, 2, gray.data(), w);
    stbi_write_jpg((dir / "rgb.jpg").c_str(), w, h, 3, rgb.data(), 80);
    stbi_write_jpg((dir / "gray.jpg").c_str(), w, h, 1, gray.data(), 90);
    write(dir / "cut.jpg", cut(read(dir / "rgb.jpg"), 20));
    write(dir / "cut.png", cut(read(dir / "rgb.png"), 10));
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: fuzz_write_seeds CORPUS_DIR\n";
        return 2;
    }
    const std::filesystem::path root = argv[1];
    for (const char* harness : {"idx_reader", "safetensors_reader", "checkpoint_loader", "image_reader"})
        std::filesystem::create_directories(root / harness);
    const bytes images = idx({3, 4, 5}), labels = idx({3});
    write(root / "idx_reader/images.idx", images);
    write(root / "idx_reader/labels.idx", labels);
    write(root / "idx_reader/images.idx.gz", gzip(images));
    write(root / "idx_reader/rank4.idx", idx({2, 1, 2, 3}));
    write(root / "idx_reader/truncated.idx", cut(images, 7));
    write(root / "idx_reader/truncated.idx.gz", cut(gzip(images), 5));

    typenet::safetensors_file f;
    const std::vector<float> values = {1, 2, 3, 4, 5, 6};
    const std::vector<std::int64_t> count = {9};
    f.add_f32("a.weight", {2, 3}, values);
    f.add_i64("a.num_batches_tracked", {}, count);
    f.metadata["format"] = "typenet checkpoint 1";
    typenet::write_safetensors(root / "safetensors_reader/two_tensors.safetensors", f);
    write(root / "safetensors_reader/cut.safetensors", cut(read(root / "safetensors_reader/two_tensors.safetensors"), 4));

    typenet::fuzz::write_checkpoint_seed(root / "checkpoint_loader/valid.safetensors");
    write(root / "checkpoint_loader/cut.safetensors", cut(read(root / "checkpoint_loader/valid.safetensors"), 100));
    typenet::write_safetensors(root / "checkpoint_loader/other_network.safetensors", f);

    image(root / "image_reader");
    std::cout << "wrote seeds under " << root.string() << "\n";
}
