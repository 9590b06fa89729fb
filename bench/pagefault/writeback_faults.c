/* What a write to a page of a shared file mapping costs after the kernel
 * wrote that page back (bench/README.md, "The replay table in memory").
 *
 * writeback_faults FILE [ROUNDS]: maps FILE (created, 26 MiB: the replay
 * table's default size) shared, writes one byte to every page (the first
 * touch), then ROUNDS times: sync() (what the kernel's periodic writeback
 * does to every dirty page: written, then write-protected), a byte to
 * every page again, and once more at once (pages still dirty). Prints the
 * wall and CPU time per page of each pass. FILE on a disk (ext4) and in
 * /dev/shm (tmpfs, never written back) show the difference. FILE is
 * removed at the end.
 *
 * cc -O2 -o writeback_faults bench/pagefault/writeback_faults.c */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BYTES (26UL << 20)
#define PAGE 4096UL

static double usec(clockid_t clock)
{
    struct timespec t;

    clock_gettime(clock, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* one byte written to every page; the time per page, wall and CPU */
static void pass(const char *what, char *m, char v)
{
    double w = usec(CLOCK_MONOTONIC), c = usec(CLOCK_PROCESS_CPUTIME_ID);
    unsigned long i, pages = BYTES / PAGE;

    for (i = 0; i < pages; i++) m[i * PAGE] = v;
    printf("%-26s %7.3f us wall, %7.3f us CPU per page\n", what,
           (usec(CLOCK_MONOTONIC) - w) / (double)pages,
           (usec(CLOCK_PROCESS_CPUTIME_ID) - c) / (double)pages);
}

int main(int argc, char **argv)
{
    int fd, r, rounds = argc > 2 ? atoi(argv[2]) : 3;
    char *m;

    if (argc < 2) {
        fprintf(stderr, "usage: writeback_faults FILE [ROUNDS]\n");
        return 2;
    }
    fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)BYTES) != 0) {
        perror(argv[1]);
        return 1;
    }
    m = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    pass("first touch", m, 1);
    for (r = 0; r < rounds; r++) {
        sync();
        usleep(200000);
        pass("after a writeback", m, (char)(r + 2));
        pass("again (still dirty)", m, (char)(r + 3));
    }
    munmap(m, BYTES);
    close(fd);
    unlink(argv[1]);
    return 0;
}
