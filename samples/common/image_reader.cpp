#include "image_reader.hpp"

#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace samples {

namespace {
using file_handle = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

struct image_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void check_size(std::size_t width, std::size_t height, double max_megapixels) {
    if (width == 0 || height == 0)
        throw image_error("declares an image of " + std::to_string(width) + " x " + std::to_string(height) + " pixels");
    if (double(width) * double(height) > max_megapixels * 1e6)
        throw image_error("declares an image of " + std::to_string(width) + " x " + std::to_string(height) +
                          " pixels, more than the limit of " + std::to_string(int(max_megapixels)) +
                          " megapixels; raise it (--max-megapixels) if the file is genuine");
}

// stb_image's luma, which the samples always used: (77 R + 150 G + 29 B) / 256.
gray_image from_rgb(std::size_t width, std::size_t height, const std::vector<unsigned char>& rgb) {
    gray_image g{int(width), int(height), std::vector<float>(width * height)};
    for (std::size_t i = 0; i < g.values.size(); ++i) {
        const unsigned char* p = &rgb[3 * i];
        g.values[i] = float((77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8) / 255.0f;
    }
    return g;
}

// libpng's simplified reader: any bit depth, palette or alpha, as 8-bit RGB
// (alpha composited onto black); it refuses damaged files by itself.
gray_image read_png(std::FILE* file, double max_megapixels) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    const auto failed = [&](const char* doing) {
        const std::string why = std::string(doing) + ": " + image.message;
        png_image_free(&image);
        return image_error(why);
    };
    if (!png_image_begin_read_from_stdio(&image, file)) throw failed("cannot be read as a PNG");
    try {
        check_size(image.width, image.height, max_megapixels);
    } catch (...) {
        png_image_free(&image);
        throw;
    }
    image.format = PNG_FORMAT_RGB;
    std::vector<unsigned char> rgb(PNG_IMAGE_SIZE(image));
    const png_color black{0, 0, 0};
    if (!png_image_finish_read(&image, &black, rgb.data(), 0, nullptr)) throw failed("is a damaged PNG");
    return from_rgb(image.width, image.height, rgb);
}

// libjpeg (libjpeg-turbo) reports errors through a longjmp; nothing with a
// destructor lives between the setjmp and the jump.
struct jpeg_failure {
    jpeg_error_mgr manager;
    std::jmp_buf back;
    char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr info) {
    auto* failure = reinterpret_cast<jpeg_failure*>(info->err);
    (*info->err->format_message)(info, failure->message);
    std::longjmp(failure->back, 1);
}

struct jpeg_reading {
    jpeg_decompress_struct info{};
    jpeg_failure failure{};
    JDIMENSION width = 0, height = 0;
    bool over_limit = false;  // the declared size, checked before decoding
};

// False when libjpeg refuses the file (its reason in r.failure.message).
// libjpeg warns about corrupt data (level -1) and decodes on; here that ends
// the read like an error: a damaged file is refused, not half shown.
void jpeg_warning(j_common_ptr info, int level) {
    if (level < 0) jpeg_error_exit(info);
}

bool decode_jpeg(std::FILE* file, double max_megapixels, jpeg_reading& r, std::vector<unsigned char>& gray) {
    r.info.err = jpeg_std_error(&r.failure.manager);
    r.failure.manager.error_exit = jpeg_error_exit;
    r.failure.manager.emit_message = jpeg_warning;
    if (setjmp(r.failure.back)) {
        jpeg_destroy_decompress(&r.info);
        return false;
    }
    jpeg_create_decompress(&r.info);
    jpeg_stdio_src(&r.info, file);
    jpeg_read_header(&r.info, TRUE);
    r.width = r.info.image_width;
    r.height = r.info.image_height;
    if (r.width == 0 || r.height == 0 || double(r.width) * double(r.height) > max_megapixels * 1e6) {
        r.over_limit = true;
        jpeg_destroy_decompress(&r.info);
        return true;
    }
    r.info.out_color_space = JCS_GRAYSCALE;  // JPEG's own luma, Y: 0.299 R + 0.587 G + 0.114 B
    jpeg_start_decompress(&r.info);
    gray.resize(std::size_t(r.width) * r.height);
    while (r.info.output_scanline < r.info.output_height) {
        JSAMPROW row = gray.data() + std::size_t(r.info.output_scanline) * r.width;
        jpeg_read_scanlines(&r.info, &row, 1);
    }
    jpeg_finish_decompress(&r.info);
    jpeg_destroy_decompress(&r.info);
    return true;
}

gray_image read_jpeg(std::FILE* file, double max_megapixels) {
    jpeg_reading r;
    std::vector<unsigned char> gray;
    if (!decode_jpeg(file, max_megapixels, r, gray))
        throw image_error(std::string("is a damaged JPEG: ") + r.failure.message);
    if (r.over_limit) check_size(r.width, r.height, max_megapixels);
    gray_image g{int(r.width), int(r.height), std::vector<float>(gray.size())};
    for (std::size_t i = 0; i < gray.size(); ++i) g.values[i] = gray[i] / 255.0f;
    return g;
}
}  // namespace

gray_image load_gray(const std::filesystem::path& path, double max_megapixels) {
    const file_handle file(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!file) throw std::runtime_error(path.string() + ": cannot be opened (" + std::strerror(errno) + ")");
    unsigned char magic[8] = {};
    const std::size_t got = std::fread(magic, 1, sizeof magic, file.get());
    std::rewind(file.get());
    try {
        if (got == 8 && png_sig_cmp(magic, 0, 8) == 0) return read_png(file.get(), max_megapixels);
        if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) return read_jpeg(file.get(), max_megapixels);
        throw image_error("is neither a PNG nor a JPEG image; convert it to one of those");
    } catch (const image_error& e) {
        throw std::runtime_error(path.string() + ": " + e.what());
    }
}

}  // namespace samples
