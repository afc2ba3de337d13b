// libpng (Debian: libpng-dev): its simplified API writes PNGs; archc_png_decode_rgb reads them.
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/// The PNG bytes being read, and libpng's last error message.
typedef struct {
    const unsigned char *bytes;
    size_t count;
    size_t offset;
    char message[200];
} archc_png_reader;

static inline void archc_png_error(png_structp png, png_const_charp message) {
    archc_png_reader *reader = (archc_png_reader *)png_get_error_ptr(png);
    strncpy(reader->message, message, sizeof reader->message - 1);
    reader->message[sizeof reader->message - 1] = 0;
    png_longjmp(png, 1);
}

static inline void archc_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static inline void archc_png_read(png_structp png, png_bytep out, size_t count) {
    archc_png_reader *reader = (archc_png_reader *)png_get_io_ptr(png);
    if (count > reader->count - reader->offset) png_error(png, "file is truncated");
    memcpy(out, reader->bytes + reader->offset, count);
    reader->offset += count;
}

/// One row of 1-4 channels (8 or 16 bits, big-endian) to 8-bit RGB as PIL's convert('RGB')
/// gives it: 16-bit samples keep their high byte, except 16-bit grayscale (PIL's mode I;16),
/// which PIL clips to 255; alpha is dropped, not composited.
static inline void archc_png_row_to_rgb(const unsigned char *row, unsigned char *rgb, png_uint_32 width, int channels, int depth) {
    for (png_uint_32 x = 0; x < width; x++) {
        const unsigned char *p = row + (size_t)x * channels * (depth / 8);
        unsigned char *o = rgb + (size_t)x * 3;
        if (depth == 16) {
            if (channels == 1) {
                unsigned v = ((unsigned)p[0] << 8) | p[1];
                o[0] = o[1] = o[2] = (unsigned char)(v > 255 ? 255 : v);
            } else if (channels == 2) {
                o[0] = o[1] = o[2] = p[0];
            } else {
                o[0] = p[0], o[1] = p[2], o[2] = p[4];
            }
        } else if (channels <= 2) {
            o[0] = o[1] = o[2] = p[0];
        } else {
            o[0] = p[0], o[1] = p[1], o[2] = p[2];
        }
    }
}

/// Decodes PNG bytes to 8-bit RGB with the stored sample values, as PIL (and so torchvision's
/// ImageFolder loader, Image.open(f).convert('RGB')) reads them: no gamma (gAMA, sRGB, iCCP
/// are ignored), alpha and tRNS dropped, palettes and 1/2/4-bit grayscale expanded.
/// libpng's simplified API instead treats 16-bit samples as linear light, composites alpha
/// on black and applies gAMA. Returns 0 with *pixels (malloc'ed, width x height x 3), 1 on
/// a libpng error (reader->message), 2 if width x height is 0 or over max_pixels (nothing
/// allocated; *width and *height are set).
static inline int archc_png_decode_rgb(
    archc_png_reader *reader, size_t max_pixels, png_uint_32 *width, png_uint_32 *height, unsigned char **pixels) {
    *pixels = NULL;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, archc_png_error, archc_png_warning);
    if (!png) {
        strcpy(reader->message, "out of memory");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    unsigned char *volatile rgb = NULL;
    unsigned char *volatile rows = NULL;
    png_bytep *volatile rowPointers = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        if (!info) strcpy(reader->message, "out of memory");
        free(rgb);
        free(rows);
        free(rowPointers);
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        return 1;
    }
    png_set_read_fn(png, reader, archc_png_read);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    *width = w;
    *height = h;
    if (w == 0 || h == 0 || w > max_pixels / h) {
        png_destroy_read_struct(&png, &info, NULL);
        return 2;
    }
    int type = png_get_color_type(png, info);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info), depth = png_get_bit_depth(png, info);
    size_t rowBytes = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || (depth != 8 && depth != 16) || rowBytes < (size_t)w * channels * (depth / 8))
        png_error(png, "unexpected layout after expansion");
    rgb = (unsigned char *)malloc((size_t)w * h * 3);
    // Interlaced images need every row at once; others are converted row by row.
    rows = (unsigned char *)malloc(passes > 1 ? rowBytes * h : rowBytes);
    if (!rgb || !rows) png_error(png, "out of memory");
    if (passes > 1) {
        rowPointers = (png_bytep *)malloc(sizeof(png_bytep) * h);
        if (!rowPointers) png_error(png, "out of memory");
        for (png_uint_32 y = 0; y < h; y++) rowPointers[y] = rows + (size_t)y * rowBytes;
        png_read_image(png, rowPointers);
        for (png_uint_32 y = 0; y < h; y++) archc_png_row_to_rgb(rowPointers[y], rgb + (size_t)y * w * 3, w, channels, depth);
    } else {
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, rows, NULL);
            archc_png_row_to_rgb(rows, rgb + (size_t)y * w * 3, w, channels, depth);
        }
    }
    png_read_end(png, NULL);
    free(rows);
    free(rowPointers);
    png_destroy_read_struct(&png, &info, NULL);
    *pixels = rgb;
    return 0;
}
