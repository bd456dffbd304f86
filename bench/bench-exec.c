/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-exec: time whole processes, no shell in the measured path.
 *
 *   bench-exec [-r ROUNDS] [-R] [-e ERRLOG] SPEC       interleaved rounds
 *   bench-exec -P [-e ERRLOG] SPEC                     all SPEC lines at once
 *   bench-exec -S [-e ERRLOG] SPEC                     SPEC lines one after another
 *
 * SPEC has one candidate per line, fields separated by TABs:
 *   NAME  REPS  WARM  NSPID  STDIN  ARGV0  ARGV1 ...
 * REPS  timed runs of this candidate (0: as many as ROUNDS)
 * WARM  untimed runs before the first round
 * NSPID "-" or a pid whose mount namespace the child enters (setns) before
 *       the exec: no nsenter process in the measured path
 * STDIN "-" (/dev/null) or a file opened afresh for every run
 * ARGV0 is exec'd as is (execv: give an absolute path).
 * Blank lines and lines starting with '#' are skipped.
 *
 * Interleaved mode runs round by round, A B C A B C ..., each candidate in
 * spec order (so a "prepare" line followed by a "release" line pairs up),
 * until every candidate has had its REPS runs; machine noise then hits all
 * candidates alike. -R rotates the order for independent candidates (round r
 * starts with candidate r mod N), so no candidate always follows the same
 * one. Each run is timed with CLOCK_MONOTONIC from just
 * before fork() to the return of waitpid(). Output, one line per candidate:
 *   NAME <TAB> RUNS <TAB> MEDIAN_US <TAB> MIN_US <TAB> MAX_US <TAB> FAILS
 * -P forks every line at once and waits for all; -S runs them one after the
 * other. Both print one line:
 *   all <TAB> COUNT <TAB> WALL_US <TAB> MEDIAN_LATENCY_US <TAB> MAX_LATENCY_US <TAB> FAILS
 * A run whose exit status is not 0 counts as a failure; its stderr goes to
 * ERRLOG (default /dev/null). Exit status: 0, or 1 when any run failed, 2 on
 * usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64

typedef struct {
    char *name;
    int reps, warm;
    int nsfd;             /* -1: stay in our mount namespace */
    char *stdin_path;     /* NULL: /dev/null */
    char *argv[MAX_ARGS + 1];
    double *samples;      /* microseconds */
    int nsamples, fails;
    /* -P bookkeeping */
    pid_t pid;
    double started, latency;
} Cand;

static const char *errlog = "/dev/null";

static double
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
die(const char *fmt, const char *arg)
{
    fprintf(stderr, "bench-exec: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

/* The child: namespace, stdin, stdout, stderr, exec. Only what fork() left
 * us; no stdio. */
static void
child(const Cand *c)
{
    int in, out, err;

    if (c->nsfd >= 0 && setns(c->nsfd, CLONE_NEWNS) < 0)
        _exit(126);
    in = open(c->stdin_path ? c->stdin_path : "/dev/null", O_RDONLY);
    out = open("/dev/null", O_WRONLY);
    err = open(errlog, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (in < 0 || out < 0 || err < 0)
        _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    close(in);
    close(out);
    close(err);
    if (c->nsfd >= 0)
        close(c->nsfd);
    execv(c->argv[0], c->argv);
    _exit(127);
}

static pid_t
spawn(const Cand *c)
{
    pid_t pid = fork();

    if (pid < 0) {
        perror("bench-exec: fork");
        exit(2);
    }
    if (pid == 0)
        child(c);
    return pid;
}

static int
wait_ok(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("bench-exec: waitpid");
            exit(2);
        }
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* One timed run; returns microseconds, counts a failure. */
static double
run_once(Cand *c)
{
    double t0 = now_us();
    pid_t pid = spawn(c);
    int ok = wait_ok(pid);
    double dt = now_us() - t0;

    if (!ok)
        c->fails++;
    return dt;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
    if (n == 0)
        return 0;
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *
xstrdup(const char *s)
{
    char *d = strdup(s);

    if (!d) {
        perror("bench-exec");
        exit(2);
    }
    return d;
}

static int
load_spec(const char *path, Cand **out)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0, alloc = 0;
    Cand *cands = NULL;

    if (!f)
        die("cannot open spec %s", path);
    while ((len = getline(&line, &cap, f)) >= 0) {
        char *fields[MAX_ARGS + 6];
        int nf = 0;
        char *save = NULL, *tok;
        Cand *c;

        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        for (tok = strtok_r(line, "\t", &save); tok && nf < MAX_ARGS + 5;
             tok = strtok_r(NULL, "\t", &save))
            fields[nf++] = tok;
        if (nf < 6)
            die("spec line needs NAME REPS WARM NSPID STDIN ARGV0...: %s", line);
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 16;
            if (!(cands = realloc(cands, (size_t)alloc * sizeof(*cands)))) {
                perror("bench-exec");
                exit(2);
            }
        }
        c = &cands[n++];
        memset(c, 0, sizeof(*c));
        c->name = xstrdup(fields[0]);
        c->reps = atoi(fields[1]);
        c->warm = atoi(fields[2]);
        c->nsfd = -1;
        if (strcmp(fields[3], "-") != 0) {
            char nspath[64];

            snprintf(nspath, sizeof(nspath), "/proc/%s/ns/mnt", fields[3]);
            if ((c->nsfd = open(nspath, O_RDONLY | O_CLOEXEC)) < 0)
                die("cannot open %s", nspath);
        }
        c->stdin_path = strcmp(fields[4], "-") ? xstrdup(fields[4]) : NULL;
        for (int i = 5; i < nf; i++)
            c->argv[i - 5] = xstrdup(fields[i]);
        c->argv[nf - 5] = NULL;
    }
    free(line);
    fclose(f);
    if (n == 0)
        die("no candidates in %s", path);
    *out = cands;
    return n;
}

static int
interleaved(Cand *cands, int n, int rounds, int rotate)
{
    int any_fail = 0, max_reps = 0;

    for (int i = 0; i < n; i++) {
        if (cands[i].reps <= 0)
            cands[i].reps = rounds;
        if (cands[i].reps > max_reps)
            max_reps = cands[i].reps;
        cands[i].samples = calloc((size_t)cands[i].reps, sizeof(double));
    }
    /* Warm-up, not timed and not counted as failures. */
    for (int i = 0; i < n; i++) {
        for (int w = 0; w < cands[i].warm; w++) {
            int fails = cands[i].fails;

            run_once(&cands[i]);
            cands[i].fails = fails;
        }
    }
    for (int r = 0; r < max_reps; r++) {
        for (int k = 0; k < n; k++) {
            int i = rotate ? (r + k) % n : k;

            if (r < cands[i].reps)
                cands[i].samples[cands[i].nsamples++] = run_once(&cands[i]);
        }
    }
    for (int i = 0; i < n; i++) {
        Cand *c = &cands[i];
        double med = median(c->samples, c->nsamples);   /* sorts */

        printf("%s\t%d\t%.1f\t%.1f\t%.1f\t%d\n", c->name, c->nsamples, med, c->samples[0],
               c->samples[c->nsamples - 1], c->fails);
        any_fail |= c->fails != 0;
    }
    return any_fail;
}

static int
batch(Cand *cands, int n, int parallel)
{
    double *lat = calloc((size_t)n, sizeof(double));
    double t0, wall, maxlat = 0;
    int fails = 0, left;

    t0 = now_us();
    if (parallel) {
        for (int i = 0; i < n; i++) {
            cands[i].started = now_us();
            cands[i].pid = spawn(&cands[i]);
        }
        for (left = n; left > 0; left--) {
            int status;
            pid_t pid = wait(&status);
            double t = now_us();

            if (pid < 0) {
                perror("bench-exec: wait");
                exit(2);
            }
            for (int i = 0; i < n; i++) {
                if (cands[i].pid == pid) {
                    cands[i].latency = t - cands[i].started;
                    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        cands[i].fails++;
                }
            }
        }
    } else {
        for (int i = 0; i < n; i++)
            cands[i].latency = run_once(&cands[i]);
    }
    wall = now_us() - t0;
    for (int i = 0; i < n; i++) {
        lat[i] = cands[i].latency;
        fails += cands[i].fails;
        if (lat[i] > maxlat)
            maxlat = lat[i];
    }
    printf("all\t%d\t%.1f\t%.1f\t%.1f\t%d\n", n, wall, median(lat, n), maxlat, fails);
    free(lat);
    return fails != 0;
}

int
main(int argc, char **argv)
{
    int rounds = 10, mode = 0, rotate = 0, opt, n;
    Cand *cands;

    while ((opt = getopt(argc, argv, "r:e:RPS")) != -1) {
        switch (opt) {
        case 'r': rounds = atoi(optarg); break;
        case 'e': errlog = optarg; break;
        case 'R': rotate = 1; break;
        case 'P': mode = 'P'; break;
        case 'S': mode = 'S'; break;
        default:
            fprintf(stderr, "usage: bench-exec [-r ROUNDS] [-R] [-e ERRLOG] [-P|-S] SPEC\n");
            return 2;
        }
    }
    if (optind != argc - 1 || rounds < 1) {
        fprintf(stderr, "usage: bench-exec [-r ROUNDS] [-e ERRLOG] [-P|-S] SPEC\n");
        return 2;
    }
    n = load_spec(argv[optind], &cands);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (mode)
        return batch(cands, n, mode == 'P');
    return interleaved(cands, n, rounds, rotate);
}
