/* Compresses stdin with zlib, uncompresses it again and compares: prints the zlib version it runs with,
   then "bytes <input> <compressed> roundtrip-ok", or a reason and exit status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int main(void) {
  size_t cap = 1 << 16, len = 0, got;
  unsigned char *in = malloc(cap);
  if (!in) return 1;
  while ((got = fread(in + len, 1, cap - len, stdin)) > 0) {
    len += got;
    if (len == cap) {
      cap *= 2;
      if (!(in = realloc(in, cap))) return 1;
    }
  }
  uLongf zlen = compressBound(len);
  unsigned char *z = malloc(zlen);
  unsigned char *out = malloc(len + 1);
  if (!z || !out) return 1;
  if (compress2(z, &zlen, in, len, 9) != Z_OK) { puts("compress2 failed"); return 1; }
  uLongf olen = len;
  if (uncompress(out, &olen, z, zlen) != Z_OK) { puts("uncompress failed"); return 1; }
  if (olen != len || memcmp(in, out, len) != 0) { puts("roundtrip differs"); return 1; }
  printf("zlib %s\n", zlibVersion());
  printf("bytes %lu %lu roundtrip-ok\n", (unsigned long)len, (unsigned long)zlen);
  return 0;
}
