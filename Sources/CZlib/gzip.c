#include "shim.h"

#include <stdlib.h>
#include <string.h>

// 15 window bits, +16 asks zlib for a gzip wrapper; +32 lets inflate detect gzip or zlib headers.
enum { SPOOL_GZIP_WINDOW_BITS = 15 + 16, SPOOL_AUTO_WINDOW_BITS = 15 + 32 };

static int spool_buffer_reserve(spool_buffer *buffer, size_t minimum) {
    if (buffer->capacity >= minimum) {
        return Z_OK;
    }
    size_t capacity = buffer->capacity < 256 ? 256 : buffer->capacity;
    while (capacity < minimum) {
        capacity *= 2;
    }
    uint8_t *grown = realloc(buffer->bytes, capacity);
    if (grown == NULL) {
        return Z_MEM_ERROR;
    }
    buffer->bytes = grown;
    buffer->capacity = capacity;
    return Z_OK;
}

void spool_buffer_free(spool_buffer *buffer) {
    free(buffer->bytes);
    buffer->bytes = NULL;
    buffer->count = 0;
    buffer->capacity = 0;
}

int spool_gzip(const uint8_t *input, size_t length, int level, spool_buffer *output) {
    z_stream stream;
    memset(&stream, 0, sizeof(stream));
    int status = deflateInit2(&stream, level, Z_DEFLATED, SPOOL_GZIP_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY);
    if (status != Z_OK) {
        return status;
    }
    // deflateBound gives a size that always suffices, so one call to deflate finishes the stream.
    // zlib counts in uInt: inputs beyond 4 GiB are fed in slices.
    size_t bound = deflateBound(&stream, (uLong)length) + 64;
    status = spool_buffer_reserve(output, output->count + bound);
    if (status != Z_OK) {
        deflateEnd(&stream);
        return status;
    }
    size_t remaining = length;
    stream.next_in = (Bytef *)input;
    do {
        uInt slice = remaining > (size_t)UINT32_MAX ? UINT32_MAX : (uInt)remaining;
        stream.avail_in = slice;
        remaining -= slice;
        int flush = remaining == 0 ? Z_FINISH : Z_NO_FLUSH;
        do {
            if (output->capacity - output->count < 64) {
                status = spool_buffer_reserve(output, output->capacity * 2);
                if (status != Z_OK) {
                    deflateEnd(&stream);
                    return status;
                }
            }
            size_t room = output->capacity - output->count;
            uInt avail = room > (size_t)UINT32_MAX ? UINT32_MAX : (uInt)room;
            stream.next_out = output->bytes + output->count;
            stream.avail_out = avail;
            status = deflate(&stream, flush);
            output->count += avail - stream.avail_out;
            if (status == Z_STREAM_ERROR) {
                deflateEnd(&stream);
                return status;
            }
        } while (stream.avail_out == 0 || (flush == Z_FINISH && status != Z_STREAM_END));
    } while (remaining > 0);
    deflateEnd(&stream);
    return Z_OK;
}

int spool_gunzip(const uint8_t *input, size_t length, size_t max_output, spool_buffer *output) {
    z_stream stream;
    memset(&stream, 0, sizeof(stream));
    int status = inflateInit2(&stream, SPOOL_AUTO_WINDOW_BITS);
    if (status != Z_OK) {
        return status;
    }
    size_t consumed = 0;
    size_t guess = length * 4 < 1024 ? 1024 : length * 4;
    status = spool_buffer_reserve(output, guess < max_output ? guess : max_output + 1);
    if (status != Z_OK) {
        inflateEnd(&stream);
        return status;
    }
    for (;;) {
        size_t remaining = length - consumed;
        uInt slice = remaining > (size_t)UINT32_MAX ? UINT32_MAX : (uInt)remaining;
        stream.next_in = (Bytef *)(input + consumed);
        stream.avail_in = slice;
        if (output->capacity == output->count) {
            status = spool_buffer_reserve(output, output->capacity * 2);
            if (status != Z_OK) {
                inflateEnd(&stream);
                return status;
            }
        }
        size_t room = output->capacity - output->count;
        uInt avail = room > (size_t)UINT32_MAX ? UINT32_MAX : (uInt)room;
        stream.next_out = output->bytes + output->count;
        stream.avail_out = avail;
        status = inflate(&stream, Z_NO_FLUSH);
        output->count += avail - stream.avail_out;
        consumed += slice - stream.avail_in;
        if (output->count > max_output) {
            inflateEnd(&stream);
            return Z_BUF_ERROR;
        }
        if (status == Z_STREAM_END) {
            if (consumed == length) {
                break;
            }
            // Another gzip member follows (RFC 1952 allows concatenation).
            status = inflateReset(&stream);
            if (status != Z_OK) {
                inflateEnd(&stream);
                return status;
            }
            continue;
        }
        if (status == Z_BUF_ERROR && consumed == length && stream.avail_out != 0) {
            // Input ended before the stream did.
            inflateEnd(&stream);
            return Z_DATA_ERROR;
        }
        if (status != Z_OK && status != Z_BUF_ERROR) {
            inflateEnd(&stream);
            return status == Z_NEED_DICT ? Z_DATA_ERROR : status;
        }
    }
    inflateEnd(&stream);
    return Z_OK;
}
