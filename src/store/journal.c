/* The journal file format and its durability (store/journal.h): segments, records with their
 * checksums, appends, the flushing threads, replay at open and forgetting what the database has.
 * It knows nothing of clicks; app/click_journal.c decides what a record holds.
 *
 * Contract: an append is durable when journal_append says so (written; with flush, after an
 * fdatasync that started after it), a failed flush ends the process (store/flush.h), and a
 * segment is written over only once every record in it was applied and the owner released it. */
#include "store/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/flush.h"
#include "util/banned.h"
#include "util/le.h"

#define FLUSHERS 3
#define MIN_SEGMENTS 2
#define NO_SEGMENT UINT32_MAX
/* How much of the active segment stays mapped in behind the append point: the pages of a shared
 * file mapping count in the process's RSS until unmapped (they stay in the page cache). */
#define RESIDENT_WINDOW (1u << 20)

enum segment_state {
    SEG_FREE,    /* may be written over */
    SEG_ACTIVE,  /* being appended to */
    SEG_SEALED,  /* moved past; some records not yet applied */
    SEG_DRAINED, /* all applied; the owner was told and will release it */
    SEG_HELD,    /* found with records at open: only journal_forget_all frees it */
};

struct segment {
    int fd;
    /* With flush, one descriptor per flusher thread, opened with the segment: a failed writeback
     * is reported once per open file, so a flush on a descriptor of its own sees every failure
     * since the segment was opened, never "success" because another flush was told first. */
    int flush_fd[FLUSHERS];
    uint8_t *map; /* the whole file, shared: appends without flush are stores into it */
    enum segment_state state;
    uint64_t epoch;
    uint64_t pending; /* appended, not yet applied */
};

struct journal {
    char prefix[1024];
    int lock_fd; /* PREFIX.lock, flock'ed: one process per journal */
    bool flush;
    journal_drained_fn drained;
    void *drained_arg;
    pthread_mutex_t lock;
    struct segment *segs;
    uint32_t nsegs;
    uint32_t active; /* NO_SEGMENT before the first append */
    uint32_t offset; /* where the next append goes in the active segment */
    uint64_t next_epoch;
    /* With flush, an append's bytes (JOURNAL_APPEND_MAX, under lock), written with pwrite: every
     * fdatasync write-protects the mapped pages it writes back, so stores into the mapping would
     * fault again after each flush. */
    uint8_t *buf;
    struct journal_stats stats;
    /* Flushing (flush only), all under lock: appends get increasing sequence numbers; an
     * fdatasync of the active segment that starts after append k makes appends 1..k durable,
     * together with one of the segment left behind (left_behind) while that one's own flush has
     * not finished: a flusher that covers appends made before a switch flushes both. */
    pthread_t threads[FLUSHERS];
    int nthreads;
    int next_flusher; /* which flush_fd the next flusher thread to start uses */
    struct flush_fault fault;
    pthread_cond_t wake;
    struct journal_waiter *wait_head, *wait_tail;
    uint64_t appended_seq, started_seq, durable_seq;
    uint32_t left_behind; /* NO_SEGMENT, or the segment last switched from, not yet flushed */
    bool stopping;
};

/* ---- CRC-32C ------------------------------------------------------------------------------ */

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one byte at a time. */
static const uint32_t crc_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu, 0x26a1e7e8u,
    0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu, 0x4d43cfd0u, 0xbf284cd3u,
    0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu, 0xf165b798u, 0x030e349bu, 0xd7c45070u,
    0x25afd373u, 0x36ff2087u, 0xc494a384u, 0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u,
    0x5d1d08bfu, 0xaf768bbcu, 0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u,
    0x33ed7d2au, 0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau, 0x30e349b1u,
    0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu, 0x1642ae59u, 0xe4292d5au,
    0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au, 0x7da08661u, 0x8fcb0562u, 0x9c9bf696u,
    0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu, 0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u,
    0x67dafa54u, 0x95b17957u, 0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu,
    0xfe53516fu, 0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu, 0x3ac7f2ebu,
    0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u, 0x61c69362u, 0x93ad1061u,
    0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu, 0x4767748au, 0xb50cf789u, 0xeb1fcbadu,
    0x197448aeu, 0x0a24bb5au, 0xf84f3859u, 0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u,
    0x7198540du, 0x83f3d70eu, 0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u,
    0xa55230e6u, 0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu, 0x456cac67u,
    0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u, 0xe9141340u, 0x1b7f9043u,
    0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu, 0x92a8fc17u, 0x60c37f14u, 0x73938ce0u,
    0x81f80fe3u, 0x55326b08u, 0xa759e80bu, 0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu,
    0xf94ad42fu, 0x0b21572cu, 0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u,
    0x502036a5u, 0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u, 0x0e330a81u,
    0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du, 0x758fe5d6u, 0x87e466d5u,
    0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u, 0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u,
    0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu, 0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u,
    0x0417b1dbu, 0xf67c32d8u, 0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu,
    0x5a048dffu, 0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u, 0x590ab964u,
    0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u, 0x7fab5e8cu, 0x8dc0dd8fu,
    0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu, 0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u,
    0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u, 0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u,
    0x4f48173du, 0xbd23943eu, 0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au,
    0xc69f7b69u, 0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

uint32_t journal_crc32c_portable(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
/* SSE 4.2's crc32 instruction computes CRC-32C, 8 bytes at a time, far cheaper than the table on
 * the event loop, which checksums every append; the same result as journal_crc32c_portable. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p,
                                                               size_t n)
{
    uint64_t c = ~crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
    }
    uint32_t c32 = (uint32_t)c;
    for (; n > 0; p++, n--)
        c32 = __builtin_ia32_crc32qi(c32, *p);
    return ~c32;
}
#endif

uint32_t journal_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2"))
        return crc32c_sse42(crc, p, n);
#endif
    return journal_crc32c_portable(crc, p, n);
}

/* ---- records ------------------------------------------------------------------------------ */

/* The checksum covers the epoch and the length as well as the payload. */
static uint32_t record_crc(const uint8_t *header, const uint8_t *payload, uint32_t len)
{
    uint32_t crc = journal_crc32c(0, header + 8, 8); /* epoch */
    crc = journal_crc32c(crc, header, 4);            /* length */
    return journal_crc32c(crc, payload, len);
}

/* Length of the valid record at p (header included), 0 when there is none: end of the segment. */
static size_t record_at(const uint8_t *p, size_t avail, uint64_t epoch)
{
    if (avail < JOURNAL_RECORD_HEADER)
        return 0;
    uint32_t len = le_get32(p);
    if (len == 0 || len > JOURNAL_RECORD_MAX || len > avail - JOURNAL_RECORD_HEADER ||
        le_get64(p + 8) != epoch)
        return 0;
    if (record_crc(p, p + JOURNAL_RECORD_HEADER, len) != le_get32(p + 4))
        return 0;
    return JOURNAL_RECORD_HEADER + len;
}

/* ---- files -------------------------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t n, off_t at)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        at += w;
    }
    return 0;
}

static void segment_path(const struct journal *j, uint32_t i, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s.%u", j->prefix, i);
}

/* The whole segment, shared with the page cache: a store into it is in the file for every other
 * reader at once (and survives the process), and an fdatasync of the file writes it to disk. The
 * file never changes size and its blocks are written when it is made (segment_create), so no
 * store falls past its end or needs disk space (SIGBUS); only on a copy-on-write file system can a
 * full disk still turn a store into SIGBUS (README "Disk"). */
static uint8_t *segment_map(int fd)
{
    void *m = mmap(NULL, JOURNAL_SEGMENT_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return m == MAP_FAILED ? NULL : m;
}

/* Unmaps pages of a segment from the process (they stay in the page cache, dirty ones dirty): the
 * pages appended through would otherwise all count in the RSS. */
static void segment_evict(uint8_t *map, uint32_t from, uint32_t to)
{
    if (to > from)
        madvise(map + from, to - from, MADV_DONTNEED);
}

/* The windows appended through leave the process's memory (they stay in the file). With flush
 * the appends were pwrite calls, not stores: nothing of them is mapped. */
static void segment_evict_appended(const struct journal *j, uint8_t *map, uint32_t from,
                                   uint32_t to)
{
    if (!j->flush)
        segment_evict(map, from, to);
}

/* Adds segment i (fd of path, mapped at map): with flush, it gets the flushers' descriptors. */
static int segment_add(struct journal *j, uint32_t i, int fd, uint8_t *map, uint64_t epoch,
                       const char *path, struct pd_err *err)
{
    struct segment s = {.fd = fd, .map = map, .state = epoch ? SEG_HELD : SEG_FREE, .epoch = epoch};
    for (int k = 0; k < FLUSHERS; k++)
        s.flush_fd[k] = -1;
    for (int k = 0; j->flush && k < FLUSHERS; k++) {
        s.flush_fd[k] = open(path, O_RDWR | O_CLOEXEC);
        if (s.flush_fd[k] < 0) {
            pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot open %s: %s", path, strerror(errno));
            while (k-- > 0)
                close(s.flush_fd[k]);
            return -1;
        }
    }
    struct segment *segs = realloc(j->segs, (i + 1) * sizeof *segs);
    if (!segs)
        abort();
    j->segs = segs;
    j->segs[i] = s;
    j->nsegs = i + 1;
    return 0;
}

static void segment_close(struct segment *s)
{
    munmap(s->map, JOURNAL_SEGMENT_BYTES);
    close(s->fd);
    for (int k = 0; k < FLUSHERS; k++)
        if (s->flush_fd[k] >= 0)
            close(s->flush_fd[k]);
}

/* A new segment, written with zeros to its full size and flushed with its directory entry, so
 * that no append or flush ever changes its size or its metadata. */
static int segment_create(struct journal *j, uint32_t i, struct pd_err *err)
{
    char path[1100], tmp[1110];
    segment_path(j, i, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.new", path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot create %s: %s", tmp, strerror(errno));
    uint8_t *zeros = calloc(1, JOURNAL_APPEND_MAX);
    if (!zeros)
        abort();
    int rc = 0;
    for (uint32_t at = 0; rc == 0 && at < JOURNAL_SEGMENT_BYTES; at += JOURNAL_APPEND_MAX)
        rc = write_all(fd, zeros, JOURNAL_APPEND_MAX, at);
    free(zeros);
    if (rc < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
        pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot make %s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    /* The directory entry too, so the file is there after a power cut. A flush failing here
     * fails only this segment (nothing is in it yet): the append that needed it is refused, and
     * the next one tries again. */
    char dir[1100];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir ? 1 : 0] = '\0';
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool dir_synced = dfd >= 0 && fsync(dfd) == 0;
    if (dfd >= 0)
        close(dfd);
    if (j->flush && !dir_synced) {
        pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot flush the directory of %s", path);
        close(fd);
        return -1;
    }
    uint8_t *map = segment_map(fd);
    if (!map) {
        pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot map %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (segment_add(j, i, fd, map, 0, path, err) < 0) {
        munmap(map, JOURNAL_SEGMENT_BYTES);
        close(fd);
        return -1;
    }
    return 0;
}

/* The epoch of a segment's records (its first record's), 0 when it holds none. */
static uint64_t segment_epoch(const uint8_t *map)
{
    uint64_t epoch = le_get64(map + 8);
    return record_at(map, JOURNAL_SEGMENT_BYTES, epoch) > 0 ? epoch : 0;
}

/* ---- flushing ----------------------------------------------------------------------------- */

/* Detaches the waiters with seq ≤ upto, in order. Under lock. */
static struct journal_waiter *detach_waiters(struct journal *j, uint64_t upto)
{
    struct journal_waiter *done = NULL, **tail = &done;
    while (j->wait_head && j->wait_head->seq <= upto) {
        struct journal_waiter *w = j->wait_head;
        j->wait_head = w->next;
        w->next = NULL;
        *tail = w;
        tail = &w->next;
    }
    if (!j->wait_head)
        j->wait_tail = NULL;
    return done;
}

/* Outside the lock; durable: durable_seq when the list was detached. */
static void tell_waiters(struct journal_waiter *list, uint64_t durable)
{
    for (struct journal_waiter *w = list, *next; w; w = next) {
        next = w->next; /* durable() may free the waiter */
        w->durable(w, w->seq <= durable);
    }
}

static void *flusher_main(void *arg)
{
    struct journal *j = arg;
    pthread_mutex_lock(&j->lock);
    int me = j->next_flusher++;
    for (;;) {
        while (j->started_seq == j->appended_seq && !j->stopping)
            pthread_cond_wait(&j->wake, &j->lock);
        if (j->started_seq == j->appended_seq)
            break;
        uint64_t covers = j->appended_seq;
        j->started_seq = covers;
        /* appended_seq > 0: there is an active segment */
        int fd = j->segs[j->active].flush_fd[me];
        uint32_t behind = j->left_behind;
        int behind_fd = behind == NO_SEGMENT ? -1 : j->segs[behind].flush_fd[me];
        pthread_mutex_unlock(&j->lock);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* Their records were handed on: a failure ends the process. */
        if (behind_fd >= 0 && flush_data(behind_fd, &j->fault) < 0)
            flush_failed("journal: fdatasync of a full segment", strerror(errno));
        if (flush_data(fd, &j->fault) < 0)
            flush_failed("journal: fdatasync", strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        pthread_mutex_lock(&j->lock);
        if (behind != NO_SEGMENT && j->left_behind == behind)
            j->left_behind = NO_SEGMENT;
        j->stats.flushes++;
        j->stats.flush_us +=
            (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
        if (covers > j->durable_seq)
            j->durable_seq = covers;
        struct journal_waiter *done = detach_waiters(j, j->durable_seq);
        uint64_t durable = j->durable_seq;
        pthread_mutex_unlock(&j->lock);
        tell_waiters(done, durable);
        pthread_mutex_lock(&j->lock);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

/* ---- open, replay, close ------------------------------------------------------------------ */

static uint64_t realtime_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* Opens and flock's PREFIX.lock: one process per journal. */
static int journal_lock(struct journal *j, struct pd_err *err)
{
    char lock_path[1100];
    snprintf(lock_path, sizeof lock_path, "%s.lock", j->prefix);
    j->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lock_fd < 0)
        return pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot open %s: %s", lock_path,
                          strerror(errno));
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        pd_err_set(err, errno == EWOULDBLOCK ? PD_ERR_CONFLICT : PD_ERR_INTERNAL, "db", "%s: %s",
                   lock_path,
                   errno == EWOULDBLOCK ? "another process uses this journal" : strerror(errno));
        close(j->lock_fd);
        return -1;
    }
    return 0;
}

/* Maps the segments already on disk (PREFIX.0, .1, ... up to the first missing one) and tells
 * the newest epoch among their records. The caller closes what was added on failure. */
static int journal_load_segments(struct journal *j, uint64_t *newest, struct pd_err *err)
{
    *newest = 0;
    for (;;) {
        char path[1100];
        segment_path(j, j->nsegs, path, sizeof path);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
            return 0;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_size != (off_t)JOURNAL_SEGMENT_BYTES) {
            pd_err_set(err, PD_ERR_INTERNAL, "db", "%s is not a journal segment (size %lld)", path,
                       (long long)st.st_size);
            close(fd);
            return -1;
        }
        uint8_t *map = segment_map(fd);
        if (!map) {
            pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot map %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        uint64_t epoch = segment_epoch(map);
        segment_evict(map, 0, JOURNAL_SEGMENT_BYTES);
        if (segment_add(j, j->nsegs, fd, map, epoch, path, err) < 0) {
            munmap(map, JOURNAL_SEGMENT_BYTES);
            close(fd);
            return -1;
        }
        if (epoch > *newest)
            *newest = epoch;
    }
}

/* With flush: the flusher threads; at least one must start. */
static int journal_start_flushers(struct journal *j, struct pd_err *err)
{
    if (pthread_cond_init(&j->wake, NULL) != 0)
        return pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot start the journal's threads");
    for (; j->nthreads < FLUSHERS; j->nthreads++)
        if (pthread_create(&j->threads[j->nthreads], NULL, flusher_main, j) != 0)
            break;
    if (j->nthreads == 0) {
        pthread_cond_destroy(&j->wake);
        return pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot start the journal's threads");
    }
    return 0;
}

struct journal *journal_open(const char *prefix, bool flush, journal_drained_fn drained,
                             void *drained_arg, struct pd_err *err)
{
    struct journal *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    if (strlen(prefix) >= sizeof j->prefix) {
        pd_err_set(err, PD_ERR_BAD_REQUEST, "db", "journal path too long");
        free(j);
        return NULL;
    }
    snprintf(j->prefix, sizeof j->prefix, "%s", prefix);
    j->flush = flush;
    if (flush)
        flush_fault_init(&j->fault, "journal");
    j->drained = drained;
    j->drained_arg = drained_arg;
    j->active = NO_SEGMENT;
    j->left_behind = NO_SEGMENT;
    if (flush) {
        j->buf = malloc(JOURNAL_APPEND_MAX);
        if (!j->buf)
            abort();
    }
    if (journal_lock(j, err) < 0)
        goto fail_lock;
    if (pthread_mutex_init(&j->lock, NULL) != 0)
        goto fail_mutex;
    uint64_t newest;
    if (journal_load_segments(j, &newest, err) < 0)
        goto fail_segments;
    while (j->nsegs < MIN_SEGMENTS)
        if (segment_create(j, j->nsegs, err) < 0)
            goto fail_segments;
    /* Epochs never repeat, even after journal_forget_all wiped the newest: at least the clock. */
    j->next_epoch = realtime_us();
    if (j->next_epoch <= newest)
        j->next_epoch = newest + 1;
    if (flush && journal_start_flushers(j, err) < 0)
        goto fail_segments;
    j->stats.segments = j->nsegs;
    return j;
fail_segments:
    for (uint32_t i = 0; i < j->nsegs; i++)
        segment_close(&j->segs[i]);
    free(j->segs);
    pthread_mutex_destroy(&j->lock);
fail_mutex:
    close(j->lock_fd);
fail_lock:
    free(j->buf);
    free(j);
    return NULL;
}

void journal_close(struct journal *j)
{
    if (!j)
        return;
    if (j->flush) {
        pthread_mutex_lock(&j->lock);
        j->stopping = true;
        pthread_cond_broadcast(&j->wake);
        pthread_mutex_unlock(&j->lock);
        for (int i = 0; i < j->nthreads; i++)
            pthread_join(j->threads[i], NULL);
        pthread_cond_destroy(&j->wake);
    }
    for (uint32_t i = 0; i < j->nsegs; i++)
        segment_close(&j->segs[i]);
    free(j->segs);
    pthread_mutex_destroy(&j->lock);
    close(j->lock_fd); /* and with it the flock */
    free(j->buf);
    free(j);
}

static int by_epoch(const void *a, const void *b)
{
    const struct segment *x = *(const struct segment *const *)a;
    const struct segment *y = *(const struct segment *const *)b;
    return (x->epoch > y->epoch) - (x->epoch < y->epoch);
}

int journal_replay(struct journal *j, int (*apply)(void *arg, const uint8_t *payload, size_t len),
                   void *arg, struct pd_err *err)
{
    struct segment **held = calloc(j->nsegs, sizeof *held);
    if (!held)
        abort();
    size_t n = 0;
    for (uint32_t i = 0; i < j->nsegs; i++)
        if (j->segs[i].state == SEG_HELD)
            held[n++] = &j->segs[i];
    qsort(held, n, sizeof *held, by_epoch);
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        const uint8_t *data = held[k]->map;
        size_t at = 0, len;
        while (rc == 0 &&
               (len = record_at(data + at, JOURNAL_SEGMENT_BYTES - at, held[k]->epoch)) > 0) {
            if (apply(arg, data + at + JOURNAL_RECORD_HEADER, len - JOURNAL_RECORD_HEADER) < 0)
                rc = pd_err_set(err, PD_ERR_INTERNAL, "db",
                                "a journal record could not be replayed");
            at += len;
        }
        segment_evict(held[k]->map, 0, JOURNAL_SEGMENT_BYTES);
    }
    free(held);
    return rc;
}

/* Wipes a segment's first record so that it is not read again. Not flushed: reading it again after
 * a power cut replays records the database already has, which the owner's apply skips. */
static int segment_wipe(struct segment *s)
{
    static const uint8_t zeros[JOURNAL_RECORD_HEADER];
    return write_all(s->fd, zeros, sizeof zeros, 0);
}

int journal_forget_all(struct journal *j, struct pd_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&j->lock);
    for (uint32_t i = 0; i < j->nsegs; i++) {
        struct segment *s = &j->segs[i];
        if (s->state == SEG_FREE && s->epoch == 0)
            continue;
        /* Failing is safe here: the database has these records, and a segment not wiped is only
         * replayed again (each record once: the replay skips what the database holds). */
        if (segment_wipe(s) < 0 || (j->flush && flush_data(s->fd, &j->fault) < 0)) {
            rc = pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot reset the journal: %s",
                            strerror(errno));
            continue;
        }
        s->state = SEG_FREE;
        s->epoch = 0;
        s->pending = 0;
    }
    j->active = NO_SEGMENT;
    if (rc == 0)
        j->left_behind = NO_SEGMENT;
    /* The fdatasyncs above covered every append: nothing is left for the flushers (which would
     * otherwise look for an active segment). */
    if (rc == 0)
        j->durable_seq = j->appended_seq;
    j->started_seq = j->appended_seq;
    struct journal_waiter *done = detach_waiters(j, j->appended_seq);
    uint64_t durable = j->durable_seq;
    pthread_mutex_unlock(&j->lock);
    tell_waiters(done, durable);
    return rc;
}

/* ---- appending ---------------------------------------------------------------------------- */

/* Leaves the active segment and starts the next epoch in a free segment, made when there is none.
 * With flush, the segment left is flushed by the next flusher (left_behind), not here on the
 * appending thread (an event loop); only when the one left before it is still unflushed does this
 * flush that one, so that a flusher never has more than two segments to cover. Under lock.
 * *drained: the segment left, when nothing in it waits to be applied. */
static int segment_switch(struct journal *j, uint32_t *drained, struct pd_err *err)
{
    *drained = NO_SEGMENT;
    /* The next segment first: while none can be had, the active one stays as it is (full) and
     * the next append tries again. */
    uint32_t next = NO_SEGMENT;
    for (uint32_t i = 0; i < j->nsegs && next == NO_SEGMENT; i++)
        if (j->segs[i].state == SEG_FREE)
            next = i;
    if (next == NO_SEGMENT) {
        if (segment_create(j, j->nsegs, err) < 0)
            return -1;
        next = j->nsegs - 1;
        j->stats.segments = j->nsegs;
    }
    if (j->active != NO_SEGMENT) {
        struct segment *old = &j->segs[j->active];
        if (j->flush) {
            /* Appends to it were handed on before this flush: failing it ends the process. */
            if (j->left_behind != NO_SEGMENT &&
                flush_data(j->segs[j->left_behind].fd, &j->fault) < 0)
                flush_failed("journal: fdatasync of a full segment", strerror(errno));
            j->left_behind = j->active;
        }
        segment_evict_appended(j, old->map, j->offset & ~(RESIDENT_WINDOW - 1), j->offset);
        old->state = old->pending == 0 ? SEG_DRAINED : SEG_SEALED;
        if (old->pending == 0)
            *drained = j->active;
    }
    j->segs[next].state = SEG_ACTIVE;
    j->segs[next].epoch = j->next_epoch++;
    j->segs[next].pending = 0;
    j->active = next;
    j->offset = 0;
    return 0;
}

int journal_append(struct journal *j, const uint8_t *const *payload, const size_t *len, size_t n,
                   struct journal_waiter *w, uint32_t *segment, struct pd_err *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (len[i] == 0 || len[i] > JOURNAL_RECORD_MAX)
            return pd_err_set(err, PD_ERR_INTERNAL, NULL, "journal record of %zu bytes", len[i]);
        total += JOURNAL_RECORD_HEADER + len[i];
    }
    if (n == 0 || total > JOURNAL_APPEND_MAX)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "journal append of %zu bytes", total);
    uint32_t drained = NO_SEGMENT;
    int rc = 0;
    pthread_mutex_lock(&j->lock);
    if (j->active == NO_SEGMENT || j->offset + total > JOURNAL_SEGMENT_BYTES)
        rc = segment_switch(j, &drained, err);
    if (rc == 0) {
        struct segment *s = &j->segs[j->active];
        uint8_t *p = j->flush ? j->buf : s->map + j->offset;
        for (size_t i = 0; i < n; i++) {
            le_put32(p, (uint32_t)len[i]);
            le_put64(p + 8, s->epoch);
            memcpy(p + JOURNAL_RECORD_HEADER, payload[i], len[i]);
            le_put32(p + 4, record_crc(p, p + JOURNAL_RECORD_HEADER, (uint32_t)len[i]));
            p += JOURNAL_RECORD_HEADER + len[i];
        }
        /* A failed write leaves the offset where it was: the next append writes over whatever
         * part of this one reached the file. */
        if (j->flush && write_all(s->fd, j->buf, total, j->offset) < 0) {
            rc = pd_err_set(err, PD_ERR_INTERNAL, NULL, "journal: write failed: %s",
                            strerror(errno));
            goto out;
        }
        uint32_t window = j->offset & ~(RESIDENT_WINDOW - 1);
        j->offset += (uint32_t)total;
        segment_evict_appended(j, s->map, window, j->offset & ~(RESIDENT_WINDOW - 1));
        s->pending += n;
        *segment = j->active;
        j->stats.appends++;
        j->stats.records += n;
        if (j->flush) {
            w->seq = ++j->appended_seq;
            w->next = NULL;
            if (j->wait_tail)
                j->wait_tail->next = w;
            else
                j->wait_head = w;
            j->wait_tail = w;
            pthread_cond_signal(&j->wake);
        }
    }
out:
    pthread_mutex_unlock(&j->lock);
    if (drained != NO_SEGMENT && j->drained)
        j->drained(j->drained_arg, j, drained);
    return rc;
}

void journal_applied(struct journal *j, uint32_t segment, size_t n)
{
    bool drained = false;
    pthread_mutex_lock(&j->lock);
    struct segment *s = &j->segs[segment];
    s->pending = s->pending >= n ? s->pending - n : 0;
    if (s->pending == 0 && s->state == SEG_SEALED) {
        s->state = SEG_DRAINED;
        drained = true;
    }
    pthread_mutex_unlock(&j->lock);
    if (drained && j->drained)
        j->drained(j->drained_arg, j, segment);
}

void journal_release(struct journal *j, uint32_t segment)
{
    pthread_mutex_lock(&j->lock);
    struct segment *s = &j->segs[segment];
    if (s->state == SEG_DRAINED) {
        if (segment_wipe(s) < 0)
            fprintf(stderr, "level=warn msg=\"journal: cannot wipe a segment\" error=\"%s\"\n",
                    strerror(errno));
        s->state = SEG_FREE;
        s->epoch = 0;
    }
    pthread_mutex_unlock(&j->lock);
}

void journal_get_stats(struct journal *j, struct journal_stats *out)
{
    pthread_mutex_lock(&j->lock);
    *out = j->stats;
    out->pending = 0;
    for (uint32_t i = 0; i < j->nsegs; i++)
        out->pending += j->segs[i].pending;
    pthread_mutex_unlock(&j->lock);
}
