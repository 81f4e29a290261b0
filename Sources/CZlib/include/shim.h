#ifndef SPOOL_CZLIB_SHIM_H
#define SPOOL_CZLIB_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/// A growable output buffer owned by the caller: start it zeroed, read `bytes[0..<count]` after a call,
/// and release it with spool_buffer_free whether the call succeeded or not.
typedef struct {
    uint8_t *bytes;
    size_t count;
    size_t capacity;
} spool_buffer;

/// Compresses `length` bytes into a gzip member (RFC 1952). `level` is zlib's 0...9 or -1 for its default.
/// Returns Z_OK, or a zlib error code (Z_MEM_ERROR, Z_STREAM_ERROR).
int spool_gzip(const uint8_t *input, size_t length, int level, spool_buffer *output);

/// Decompresses gzip or zlib data (detected from the header), concatenated gzip members included.
/// Stops with Z_BUF_ERROR when the output would exceed `max_output` bytes, and returns Z_DATA_ERROR for
/// corrupt or truncated input. Returns Z_OK on success.
int spool_gunzip(const uint8_t *input, size_t length, size_t max_output, spool_buffer *output);

void spool_buffer_free(spool_buffer *buffer);

#endif
