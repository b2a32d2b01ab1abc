/* flushbench: what one flush to stable storage costs on this disk, the floor under every click
 * with synchronous=full (each 302 waits for an fdatasync of the log that began after its commit).
 *
 * Overwrites 4 KiB blocks of a 1 MiB file in a directory (as a reused WAL is written) and times
 * each fdatasync. Prints one line of key=value figures (microseconds). With -r, at most HZ flushes
 * a second: a steady flush load beside another benchmark (bench.py's FlushLoad).
 *
 *   flushbench [-n SAMPLES] [-r HZ] DIR */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define BLOCKS 256

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int samples = 2000;
    double hz = 0;
    int opt;
    while ((opt = getopt(argc, argv, "n:r:")) != -1) {
        if (opt == 'n')
            samples = (int)strtol(optarg, NULL, 10);
        else if (opt == 'r')
            hz = strtod(optarg, NULL);
        else
            goto usage;
    }
    if (optind != argc - 1 || samples < 10 || hz < 0)
        goto usage;
    char path[4096];
    snprintf(path, sizeof path, "%s/flushbench.tmp", argv[optind]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "flushbench: %s: %s\n", path, strerror(errno));
        return 2;
    }
    static char block[BLOCK];
    memset(block, 'x', sizeof block);
    int64_t *lat = calloc((size_t)samples, sizeof *lat);
    int rc = 2;
    if (!lat)
        goto done;
    /* the file exists at its full size first: the timed flushes carry data, not a new size */
    for (int i = 0; i < BLOCKS; i++)
        if (pwrite(fd, block, BLOCK, (off_t)i * BLOCK) != BLOCK)
            goto io_error;
    if (fsync(fd) != 0)
        goto io_error;
    int64_t start = now_us();
    for (int i = 0; i < samples; i++) {
        if (hz > 0) {
            int64_t wait = start + (int64_t)(i * 1e6 / hz) - now_us();
            if (wait > 0)
                usleep((useconds_t)wait);
        }
        block[0] = (char)i;
        if (pwrite(fd, block, BLOCK, (off_t)(i % BLOCKS) * BLOCK) != BLOCK)
            goto io_error;
        int64_t t0 = now_us();
        if (fdatasync(fd) != 0)
            goto io_error;
        lat[i] = now_us() - t0;
    }
    qsort(lat, (size_t)samples, sizeof *lat, by_value);
    printf("samples=%d p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld\n", samples,
           (long long)lat[samples / 2], (long long)lat[samples * 9 / 10],
           (long long)lat[samples * 99 / 100], (long long)lat[samples - 1]);
    rc = 0;
    goto done;
io_error:
    fprintf(stderr, "flushbench: %s: %s\n", path, strerror(errno));
done:
    free(lat);
    close(fd);
    unlink(path);
    return rc;
usage:
    fprintf(stderr, "usage: flushbench [-n SAMPLES] [-r HZ] DIR\n");
    return 2;
}
