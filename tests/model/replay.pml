/* Single use: a Promela model of the replay table and its life in httpd
 * (src/oauth/jg_replay_table.c, src/httpd/jg_replay.c; docs/architecture.md,
 * "Single use"). spin checks that no assertion is accepted twice: every
 * acceptance happens within the assertion's validity (the grant's time
 * checks), so a second one is a replay. tests/model/README.md maps each
 * part to the C code and says what is abstracted away and why.
 *
 * The model and the C code describe the same protocol: change them
 * together. tests/model/run checks this model and its mutants.
 *
 * "Memory" here is the table every process maps: a file in /dev/shm, which
 * a crash of every process leaves and a power loss empties (or the page
 * cache of the state directory's file, when the table is mapped from it).
 * "The disk" is the state directory's file: marked "in use" durably before
 * any child claims, its records written and then marked clean at a clean
 * stop.
 *
 * Build flags (spin -DNAME -a replay.pml):
 *   MUTANT_*    a deliberate bug (many of them the C code before a fix the
 *               model found); spin must find a replay (tests/model/run)
 *
 * Search bounds: MAXEV (restarts and crashes in one run, default 2),
 * NO_GRACEFUL_RESIZE (no restart (b)), GRACEFUL_ONLY (graceful restarts
 * alone: no stop, crash or loss), LEEWAY_ONLY (every lifetime the
 * longer) and FIXED_BOUNDS (every configuration's bounds the widest, as
 * well): tests/model/run says which.
 *
 * WITNESS(n, what) marks a step that the search must reach (a full table,
 * each kind of restart, ...): it prints "witness n: what" the first time,
 * and tests/model/run checks that every one was printed. */

c_code {
static int jg_seen[40];
static void jg_witness(int n, const char *what)
{
    if (!jg_seen[n]) {
        jg_seen[n] = 1;
        printf("witness %d: %s\n", n, what);
    }
}
}
#define WITNESS(n, what)  c_code { jg_witness(n, what); }

#define NW    3     /* children claiming at once (worker processes) */
#define NA    3     /* assertions */
#define NT    3     /* table objects: the one in use and retired ones */
#define NS    2     /* slots of the larger table size; the other has 1 */
#define TMAX  4     /* the clock runs from 1 to TMAX (seconds) */
#ifndef MAXEV
#define MAXEV 2     /* restarts and crashes in one run */
#endif

#define NONE  255

#define MAX(x, y)   ((x) > (y) -> (x) : (y))

#ifdef FIXED_BOUNDS
#define LEEWAY_ONLY
#endif

/* the file on disk may differ from the table in memory while "clean" */
#if defined(MUTANT_UNCHECKED_MSYNC) || defined(MUTANT_MARK_RETRY)
#define DISK_SNAPSHOT
#endif

/* Assertion a: the lower bound its nbf or iat puts on "now" without
 * leeway (EB) and its exp (XR). A claimer whose JWTGrantClockSkew is sk
 * (0 or 1 second) and whose assertion lifetime is lf (1: the longer; 0: a
 * second shorter, for an assertion without iat: its lower bound on "now"
 * a second later) accepts it from LOW(a, sk, lf) to XR + sk:
 *   a0 (2, 2): [1,3] with a leeway of 1, [2,2] without;
 *   a1 (3, 3): [2,4], [3,3];
 *   a2 (4, 3): [3,4], never without (an nbf a second after its exp:
 *              nothing in the claim checks forbids it, and it gives an
 *              earliest use of 3 on a clock that ends at 4);
 *   with the shorter lifetime a second later: [2,3], [3,4], [4,4] with a
 *   leeway of 1, never without. */
#define EB(a)           ((a) == 0 -> 2 : ((a) == 1 -> 3 : 4))
#define XR(a)           ((a) == 0 -> 2 : 3)
#define LOW(a, s, l)    (EB(a) + 1 - (l) - (s))
#define VALID(a)        (LOW(a, sk, lf) <= now && now <= XR(a) + sk)

#ifdef MUTANT_RECORD_OWN_SKEW
/* the C code before the fix: the record holds exp + the claimer's own
 * skew, lives while that has not passed, and the earliest use is
 * computed with the claimer's own skew */
#define REC_EXP(a)      (XR(a) + sk)
#define KEEP(t)         0
#define SKEW_BOUND(t)   sk
#else
/* the record holds the value's own exp; it lives while exp + the table's
 * max_skew has not passed (cutoff()); the earliest use is computed with
 * the widest leeway (jg_grant_earliest_use(), skew_bound) */
#define REC_EXP(a)      XR(a)
#define KEEP(t)         T[t].msk
#define SKEW_BOUND(t)   MAX(sk, T[t].msk)
#endif
#ifdef MUTANT_LIFETIME
/* the C code before the fix: the earliest use with the claimer's own
 * lifetime (its IdP entry's JWTGrantIdPMaxLifetime) */
#define LIFE_BOUND(t)   lf
#else
/* ... and with the longest lifetime (lifetime_bound, the table's) */
#define LIFE_BOUND(t)   MAX(lf, T[t].mlt)
#endif
#define EARLIEST(a, t)  LOW(a, SKEW_BOUND(t), LIFE_BOUND(t))

/* jg_rt_claim(): JG_CLAIM_UNKNOWN when earliest <= the horizon */
#ifdef MUTANT_STRICT_LT
#define HORIZON_REFUSES(a, t)  (EARLIEST(a, t) < T[t].horizon)
#else
#define HORIZON_REFUSES(a, t)  (EARLIEST(a, t) <= T[t].horizon)
#endif

/* A record: the digest of its key (here the assertion + 1) and its
 * expiry (0: never used); free once it has passed by the table's clock
 * (live()). */
typedef slot_t {
    byte key;
    byte exp
};

/* A table (struct jg_rt): its slots, its size (0: no table), its horizon
 * (0: none), its bounds (max_skew, and max_lifetime: 1 the longer), its
 * floor (0: none), its lock (the stripes' robust mutexes, one here; 0:
 * free, else the holder's _pid + 1) and the retired flag. */
typedef table_t {
    slot_t s[NS];
    byte nslots;
    byte horizon;
    bit msk;
    bit mlt;
    byte floor;
    byte lock;
    bit retired
};

table_t T[NT];
byte cur;           /* the table of the current generation (the file in use) */
byte ntab;          /* table objects in use: T[0 .. ntab-1] */
byte now = 1;       /* the clock (time(), apr_time_now()): one for all */
bit gmax = 1;       /* the widest JWTGrantClockSkew of the configuration */
bit glf = 1;        /* its longest assertion lifetime (1: the longer) */
bool running;       /* httpd is up: children start */
bool dead[NW];      /* a child dies (a crash, a stop); cleared once it is gone */
bool disk_clean;    /* the file on disk says "closed cleanly" */
byte ev;            /* restarts and crashes so far */
byte acc[NA];       /* ghost: acceptances of each assertion */

#ifdef DISK_SNAPSHOT
slot_t disk_s[NS];  /* the records on disk as of the last msync */
byte disk_nslots, disk_horizon, disk_floor;
bit disk_msk, disk_mlt;
#endif
#ifdef MUTANT_MARK_RETRY
bool mem_open;      /* the header in memory says "in use, in this boot" */
#endif
#ifdef MUTANT_WIDEN_UNSYNCED
bit hd_msk, hd_mlt; /* the bounds in the header on disk, as last synced */
#endif

#define LIVE(t, i, tt) (T[t].s[i].exp != 0 && T[t].s[i].exp + KEEP(t) >= (tt))
/* a live record of assertion a in table t (NS is 2) */
#define HAS(t, a)      (LIVE(t, 0, now) && T[t].s[0].key == (a) + 1 \
                        || T[t].nslots > 1 && LIVE(t, 1, now) && T[t].s[1].key == (a) + 1)

#ifdef MUTANT_NO_LOCK
#define LOCK(t)   skip
#define UNLOCK(t) skip
#else
/* lock() / unlock(): pthread_mutex_lock on the table's stripes, one order */
#define LOCK(t)   atomic { T[t].lock == 0 -> T[t].lock = _pid + 1 }
#define UNLOCK(t) T[t].lock = 0
#endif

/* insert() under the lock, at the table's cutoff (now - max_skew): f is
 * the slot for the record, or NONE (refused: used, expired or full).
 * Every slot of the table is a candidate (both buckets of the key). */
inline decide(t) {
    f = NONE;
    if
#ifndef MUTANT_NO_EXPIRED_CHECK
    :: REC_EXP(a) + KEEP(t) < now ->              /* expired by the table's clock */
        WITNESS(14, "a claim refused as expired by the table's clock")
#endif
    :: else ->
        d_step {
            i = 0;
            do
            :: i < T[t].nslots ->
                if
                :: LIVE(t, i, now) && T[t].s[i].key == a + 1 -> f = NONE - 1   /* has(): used */
                :: !LIVE(t, i, now) && f == NONE -> f = i                      /* free_slot() */
                :: else -> skip
                fi;
                i++
            :: else -> break
            od;
            i = 0
        };
        if
        :: f == NONE - 1 ->                       /* JG_CLAIM_USED */
            WITNESS(15, "a replay refused: a live record (JG_CLAIM_USED)");
            if
            :: XR(a) < now ->
                WITNESS(20, "a replay refused by a record kept past its exp for the table's leeway")
            :: else -> skip
            fi;
            f = NONE
        :: f == NONE ->                           /* no free slot */
            WITNESS(1, "a claim refused for a full table (JG_CLAIM_FULL)");
            if
            :: ev > 0 -> WITNESS(2, "a full table after a restart or crash")
            :: else -> skip
            fi;
#ifdef MUTANT_EVICT
            /* what shmcb does: the record that expires first makes room */
            f = 0;
            if
            :: T[t].nslots > 1 && T[t].s[1].exp < T[t].s[0].exp -> f = 1
            :: else -> skip
            fi
#else
            skip                                  /* JG_CLAIM_FULL: nothing is evicted */
#endif
        :: else -> skip
        fi
    fi
}

/* the record: the digest first, the expiry last (a claimer that dies in
 * between leaves a free slot); live, the assertion accepted */
inline write_record(t) {
    if
    :: T[t].s[f].exp != 0 -> WITNESS(3, "a slot reused after its record expired")
    :: else -> skip
    fi;
    if
    :: t == cur && ntab - 1 != cur ->
        WITNESS(16, "a claim accepted in a table that is being taken over")
    :: else -> skip
    fi;
#ifndef DISK_SNAPSHOT
    /* claims only once the file says "in use" durably: the table in
     * memory is then the one a start trusts */
    assert(!disk_clean);
#endif
    T[t].s[f].key = a + 1;
    T[t].s[f].exp = REC_EXP(a);
    acc[a]++;
    assert(acc[a] <= 1)                           /* THE PROPERTY: never twice */
}

/* JG_CLAIM_UNKNOWN for the horizon: nothing changes */
inline horizon_refused() {
    WITNESS(4, "a claim refused for the horizon (JG_CLAIM_UNKNOWN)");
    if
    :: acc[a] > 0 && LOW(a, MAX(sk, g), MAX(lf, gl)) > T[t].horizon ->
        /* by the widest bounds of this generation's configuration it
         * would pass: the table's are wider, carried across the loss */
        WITNESS(27, "a replay refused for the horizon by bounds carried across a loss, which the configuration's own would let through")
    :: else -> skip
    fi;
    if
    :: LOW(a, SKEW_BOUND(t), lf) > T[t].horizon ->
        WITNESS(28, "a claim refused for the horizon by the longest lifetime, which the claimer's own would let through")
    :: else -> skip
    fi;
    a = 0; sk = 0; lf = 0;
    goto end_request
}

/* A child: claims in the table of the generation that started it (the
 * `table` static of jg_replay.c) until it exits or dies; g and gl are the
 * widest leeway and the longest lifetime of that generation's
 * configuration. */
active [NW] proctype child()
{
    byte t, a, sk, f, i;
    bit g, gl, lf;

end:
    do
    :: atomic { running && !dead[_pid] -> t = cur; g = gmax; gl = glf }  /* a child starts */
        {
end_request: do                                   /* (idle between requests: a valid end) */
            :: /* a request: its assertion passes every other check of the
                * grant at this moment (jg_assertion_check) with the leeway
                * and lifetime of its virtual host (the widest of the
                * configuration, or narrower ones); then jg_grant_claim()
                * -> jg_rt_claim(): first the horizon, read without the
                * lock (set before the table's children exist) */
                atomic {
                    sk = g;
                    if
                    :: skip
                    :: g > 0 -> sk = g - 1
                    fi;
                    lf = gl;
#ifndef LEEWAY_ONLY
                    if
                    :: skip
                    :: gl > 0 -> lf = gl - 1
                    fi;
#endif
                    if
                    :: VALID(0) && !HORIZON_REFUSES(0, t) -> a = 0
                    :: VALID(1) && !HORIZON_REFUSES(1, t) -> a = 1
                    :: VALID(2) && !HORIZON_REFUSES(2, t) -> a = 2
                    :: VALID(0) && HORIZON_REFUSES(0, t) -> a = 0; horizon_refused()
                    :: VALID(1) && HORIZON_REFUSES(1, t) -> a = 1; horizon_refused()
                    :: VALID(2) && HORIZON_REFUSES(2, t) -> a = 2; horizon_refused()
                    :: else ->                    /* refused by the grant: nothing changes */
                        sk = 0; lf = 0;
                        goto end_request
                    fi;
                    if
                    :: sk < T[t].msk ->
                        WITNESS(19, "a claim by a claimer whose leeway is narrower than the table's")
                    :: else -> skip
                    fi;
                    /* the claim is given exp and the earliest use (with
                     * the table's bounds): nothing after this depends on
                     * the claimer's lifetime, nor on sk */
                    lf = 0;
#ifndef MUTANT_RECORD_OWN_SKEW
                    sk = 0
#else
                    skip
#endif
                };
                /* under the lock: the floor (exp < floor: JG_CLAIM_UNKNOWN),
                 * then the retired flag (JG_CLAIM_FULL, retry in a second),
                 * read in one step (the parent never changes both in one
                 * restart: README.md) */
#ifdef MUTANT_FLAG_BEFORE_LOCK
                if
                :: XR(a) < T[t].floor || T[t].retired ->
                    a = 0; sk = 0;
                    goto end_request
                :: else -> skip
                fi;
                LOCK(t);
                atomic {
#else
                LOCK(t);
                if
                :: XR(a) < T[t].floor ->
                    atomic {
                        WITNESS(23, "a claim refused by the floor of a widened leeway (JG_CLAIM_UNKNOWN)");
                        if
                        :: acc[a] > 0 && !HAS(t, a) && REC_EXP(a) + KEEP(t) >= now ->
                            WITNESS(24, "a replay refused by the floor: its record let go under a narrower leeway")
                        :: else -> skip
                        fi;
                        UNLOCK(t);
                        a = 0; sk = 0;
                        goto end_request
                    }
                :: XR(a) >= T[t].floor && T[t].retired ->
                    atomic {
                        WITNESS(5, "a claim refused by a retired table");
                        UNLOCK(t);
                        a = 0; sk = 0;
                        goto end_request
                    }
                :: else -> skip
                fi;
                atomic {
#endif
                    decide(t);
#ifdef MUTANT_NO_LOCK
                };
                atomic {                          /* check and insert apart */
#endif
                    if
                    :: f != NONE -> write_record(t)
                    :: else -> skip
                    fi;
                    UNLOCK(t);
                    a = 0; sk = 0; f = 0
                }
            :: t != cur -> break                  /* a child of an old generation ends */
            od
        } unless { dead[_pid] };
        /* gone: a robust mutex it held is let go (EOWNERDEAD, made
         * consistent by the next locker); a record is written in one step
         * here (a half-written slot would be free: README.md) */
        atomic {
            if
            :: T[t].lock == _pid + 1 ->
                T[t].lock = 0;
                WITNESS(6, "a child dies holding the lock")
            :: else -> skip
            fi;
            t = 0; a = 0; sk = 0; f = 0; i = 0; g = 0; gl = 0; lf = 0;
            dead[_pid] = false
        }
    :: atomic { dead[_pid] -> dead[_pid] = false }       /* dies before it starts */
    od
}

/* The clock: a second at a time, up to TMAX. */
active proctype clock()
{
end:
    do
    :: atomic { now < TMAX -> now++ }
    od
}

/* jg_cache_post_config(): the widest JWTGrantClockSkew and the longest
 * lifetime of this configuration (bounds). One that keeps the table may
 * widen them; a narrower one adds nothing there (the table keeps its
 * bounds, and its claimers are among those of the wider one: README.md).
 * Narrower ones come at the first start and after a loss (configure_any). */
inline configure() {
#ifdef FIXED_BOUNDS
    skip
#else
    if
    :: skip
    :: gmax = 1; glf = 1
    fi
#endif
}

inline configure_any() {
    if
    :: gmax = 1; glf = 1
#ifndef FIXED_BOUNDS
    :: gmax = 0; glf = 1                          /* a narrower leeway */
#ifndef LEEWAY_ONLY
    :: gmax = 1; glf = 0                          /* a shorter lifetime */
#endif
#endif
    fi
}

/* the configuration's bounds wider than the table's */
#define WIDENS  (gmax > T[cur].msk || glf > T[cur].mlt)

/* jg_rt_widen(): the floor first (values whose exp is before now less the
 * old leeway: their records may be gone), then the wider leeway; the
 * longer lifetime. */
inline widen() {
    if
    :: gmax > T[cur].msk ->
#ifndef MUTANT_WIDEN_SKEW
        if                                        /* raise_floor(t, now_sec() - skew) */
        :: now - T[cur].msk > T[cur].floor ->
            T[cur].floor = now - T[cur].msk
        :: else -> skip
        fi;
#endif
        T[cur].msk = gmax
    :: else -> skip
    fi;
    if
    :: glf > T[cur].mlt -> T[cur].mlt = glf
    :: else -> skip
    fi
}

/* the header (its bounds) written to disk by an msync. The C code widens
 * first and then marks and syncs at every start and graceful restart, so
 * the header on disk always has the bounds memory has (CARRIED_* below);
 * the mutant is the C code before that fix: bounds widened by a graceful
 * restart reach the disk only with the next mark */
#ifdef MUTANT_WIDEN_UNSYNCED
#define HD_SYNC(tt)  hd_msk = T[tt].msk; hd_mlt = T[tt].mlt
#else
#define HD_SYNC(tt)  skip
#endif

/* mark_open(): "in use, in this boot" on disk before any child claims.
 * Every start and every new table (install()) writes the mark and syncs
 * the header (msync), even when memory says it is there already
 * (always), and so does a graceful restart that keeps the table.
 * When that msync fails the start (or the restart) does not happen:
 * ok = false; the file at the path is as it was (tt: the table marked). */
inline mark_open(tt, fresh) {
#ifdef MUTANT_MARK_RETRY
    /* the C code before the fix: a table "in use, in this boot" in memory
     * is not marked again */
    if
    :: fresh || !mem_open ->
#endif
        if
        :: disk_clean = false;                    /* (a new file is never clean) */
            HD_SYNC(tt)
#ifdef MUTANT_MARK_RETRY
            ; mem_open = true
#endif
        :: fresh ->                               /* msync() failed: install() fails */
#ifdef MUTANT_UNCHECKED_MSYNC
            disk_clean = false                    /* the new file: unclean all the same */
#else
            ok = false
#endif
#ifdef MUTANT_MARK_RETRY
            ; mem_open = false                    /* a start again makes a new one */
#endif
        :: !fresh ->                              /* msync() failed: the disk may still say clean */
#ifdef MUTANT_UNCHECKED_MSYNC
            skip                                  /* (void)msync(): started all the same */
#else
            ok = false
#endif
#ifdef MUTANT_MARK_RETRY
            ; mem_open = true                     /* in memory, "in use, in this boot" */
#endif
        fi
#ifdef MUTANT_MARK_RETRY
    :: else -> skip                               /* nothing written */
    fi
#endif
}

/* replace(): a new table of the other size (new_table() with the old
 * horizon and this configuration's bounds), then take_over():
 * jg_rt_retire(), the clock read, jg_rt_copy() of the old table into it
 * (the old floor and bounds, the live records, a floor of its own when
 * its leeway is wider), the new horizon when records are lost; then
 * install() puts it in place (the new generation's children start), or
 * fails (ok = false; the old table, retired, stays at the path). */
inline replace() {
    atomic {
        nt = ntab;
        ntab++;
        T[nt].nslots = NS + 1 - T[cur].nslots;
        T[nt].horizon = T[cur].horizon;           /* (jg_rt_copy() raises it alike) */
        T[nt].msk = gmax;                         /* new_table(..., bounds) */
        T[nt].mlt = glf;
        wider = gmax > T[cur].msk;                /* jg_rt_copy(): tb.skew > fb.skew */
#if !defined(MUTANT_WIDEN_SKEW) && !defined(MUTANT_COPY_DROPS_FLOOR)
        T[nt].floor = T[cur].floor;               /* raise_floor(to, from->floor) */
#endif
        if                                        /* from's bounds where wider */
        :: T[cur].msk > T[nt].msk -> T[nt].msk = T[cur].msk
        :: else -> skip
        fi;
        if
        :: T[cur].mlt > T[nt].mlt -> T[nt].mlt = T[cur].mlt
        :: else -> skip
        fi;
#ifdef MUTANT_CLOCK_BEFORE_RETIRE
        pnow = now                                /* the clock read before retiring */
#endif
    };
#ifndef MUTANT_NO_RETIRE
    T[cur].retired = 1;                           /* jg_rt_retire(): the flag, */
#ifndef MUTANT_NO_LOCK
    atomic { T[cur].lock == 0 -> skip };          /* then each lock taken and let go */
#endif
#endif
#ifndef MUTANT_CLOCK_BEFORE_RETIRE
    pnow = now;                                   /* take_over(): apr_time_now() */
#endif
    /* jg_rt_copy(): each_live(), bucket by bucket under its lock, put()
     * each live record into the new table (no child uses it yet) */
    j = 0;
    do
    :: j < T[cur].nslots ->
        LOCK(cur);
        atomic {
            if
            :: LIVE(cur, j, now) ->
                f = NONE;
                d_step {
                    i = 0;
                    do
                    :: i < T[nt].nslots ->
                        if
                        :: LIVE(nt, i, now) && T[nt].s[i].key == T[cur].s[j].key -> f = NONE - 1
                        :: !LIVE(nt, i, now) && f == NONE -> f = i
                        :: else -> skip
                        fi;
                        i++
                    :: else -> break
                    od;
                    i = 0
                };
                if
                :: f == NONE -> lost = true       /* JG_CLAIM_FULL: lost */
                :: f < NS ->
                    WITNESS(17, "a record copied into the new table");
                    T[nt].s[f].key = T[cur].s[j].key;
                    T[nt].s[f].exp = T[cur].s[j].exp
                :: else -> skip
                fi
            :: else -> skip
            fi;
            f = 0;
            UNLOCK(cur);
            j++
        }
    :: else -> break
    od;
    atomic {
#if !defined(MUTANT_WIDEN_SKEW) && !defined(MUTANT_COPY_FLOOR)
        if                                        /* jg_rt_copy(): what from let go under */
        :: wider && now - T[cur].msk > T[nt].floor ->  /* its narrower leeway was not copied */
            WITNESS(29, "a resize to a wider leeway sets a floor (jg_rt_copy)");
            T[nt].floor = now - T[cur].msk
        :: else -> skip
        fi;
#endif
        wider = false;
        if
        :: lost ->
            WITNESS(7, "a resize lost a record (the new horizon)");
#ifndef MUTANT_NO_LOST_HORIZON
#ifdef MUTANT_CLOCK_BEFORE_RETIRE
            if                                    /* jg_rt_raise_horizon(to, now + 1) */
            :: pnow + 1 > T[nt].horizon -> T[nt].horizon = pnow + 1
            :: else -> skip
            fi
#else
            if                                    /* jg_rt_raise_horizon(to, now) */
            :: pnow > T[nt].horizon -> T[nt].horizon = pnow
            :: else -> skip
            fi
#endif
#else
            skip
#endif
        :: else -> skip
        fi;
        mark_open(nt, 1);                         /* install(): marked, synced, renamed */
        if
        :: ok -> cur = nt                         /* table = the new one */
        :: else -> WITNESS(21, "a resize refused: the new table's mark failed (install)")
        fi;
        j = 0; nt = 0; pnow = 0; lost = false
    }
}

/* Only the table in use is kept, as T[0]: no process is left to use the
 * others (between two runs of httpd). */
inline clear_table(n) {
    i = 0;
    do
    :: i < NS -> T[n].s[i].key = 0; T[n].s[i].exp = 0; i++
    :: else -> break
    od;
    T[n].nslots = 0; T[n].horizon = 0; T[n].msk = 0; T[n].mlt = 0; T[n].floor = 0;
    T[n].lock = 0; T[n].retired = 0;
    i = 0
}

inline compact() {
    if
    :: cur != 0 ->
        i = 0;
        do
        :: i < NS -> T[0].s[i].key = T[cur].s[i].key; T[0].s[i].exp = T[cur].s[i].exp; i++
        :: else -> break
        od;
        T[0].nslots = T[cur].nslots;
        T[0].horizon = T[cur].horizon;
        T[0].msk = T[cur].msk;
        T[0].mlt = T[cur].mlt;
        T[0].floor = T[cur].floor;
        T[0].lock = T[cur].lock;
        T[0].retired = T[cur].retired
    :: else -> skip
    fi;
    nt = 1;
    do
    :: nt < NT -> clear_table(nt); nt++
    :: else -> break
    od;
    cur = 0; ntab = 1; nt = 0; i = 0
}

/* the end of jg_replay_post_config() at a start: jg_rt_widen(), children
 * start; or httpd does not start (JWTG0709) */
inline go_on() {
    if
    :: ok -> widen(); running = true
    :: else -> WITNESS(18, "httpd does not start: a mark's msync failed (mark_open)")
    fi;
    ok = true
}

/* cold_start() with the table kept (clean, or unclean in this boot) */
inline start_keep() {
    T[cur].lock = 0;                              /* jg_rt_reset_locks() */
    compact();
    configure();
    if
    :: skip
    :: replace();                                 /* the size changed while stopped */
        compact()
    fi;
    if
    :: ok -> mark_open(cur, 0)
    :: else -> skip
    fi;
    go_on()
}

/* every child dies wherever it is (SIGTERM, SIGKILL, a crash) */
inline kill_all() {
    atomic {
        running = false;
        i = 0;
        do
        :: i < NW -> dead[i] = true; i++
        :: else -> break
        od;
        i = 0
    }
}

#define ALL_GONE  (!dead[0] && !dead[1] && !dead[2])

/* what a table started anew after a loss takes over from the file it
 * replaces: the bounds of its header (as on disk) */
#ifdef MUTANT_WIDEN_UNSYNCED
#define CARRIED_MSK  hd_msk
#define CARRIED_MLT  hd_mlt
#else
#define CARRIED_MSK  T[cur].msk
#define CARRIED_MLT  T[cur].mlt
#endif

/* The parent: starts httpd, then MAXEV restarts and crashes. */
active proctype parent()
{
    byte i, j, nt, pnow, f;
    bool lost, wider;
    bit cm, cl;
    bool ok = true;

    /* the first start, with an empty state directory: a new table
     * without a horizon, with this configuration's bounds (cold_start(),
     * install()) */
    atomic {
        if                                        /* (a shorter lifetime comes after a loss) */
        :: gmax = 1; glf = 1
#ifndef FIXED_BOUNDS
        :: gmax = 0; glf = 1                      /* a narrower leeway, widened later */
#endif
        fi;
        T[0].nslots = NS; T[0].msk = gmax; T[0].mlt = glf; ntab = 1; cur = 0;
        mark_open(0, 1);
        go_on()
    };
events:
    do
    :: ev < MAXEV ->
        if
        :: atomic {
            /* (a) graceful restart, same size: jg_replay_post_config()
             * finds the table in the process pool; the new generation's
             * children claim in it beside the old one's */
#ifdef MUTANT_GEN_TABLE
            running && ntab < NT ->
#else
            running ->
#endif
            ev++;
            WITNESS(8, "(a) graceful restart, same size");
            configure();
#ifdef MUTANT_GEN_TABLE
            /* a table per generation, as a socache would have */
            nt = ntab;
            ntab++;
            T[nt].nslots = T[cur].nslots;
            T[nt].msk = gmax; T[nt].mlt = glf;
            cur = nt;
            nt = 0;
            goto events
#else
            if
            :: WIDENS ->
                /* jg_rt_widen() while the old generation claims; the
                 * new one's children start after it */
                WITNESS(30, "a graceful restart widens the bounds of a table in use");
                running = false
#ifdef MUTANT_WIDEN_RACE
                ; pnow = now                      /* now_sec() */
#endif
            :: else -> goto events                /* nothing a child can see changes */
            fi
#endif
           };
#ifndef MUTANT_GEN_TABLE
#ifdef MUTANT_WIDEN_RACE
            /* the C code before the fix: jg_rt_widen() without the stripes' locks, in
             * steps between a claim's reads of the floor and the leeway */
            atomic {
                if                                /* raise_floor(t, now - skew) */
                :: gmax > T[cur].msk && pnow - T[cur].msk > T[cur].floor ->
                    T[cur].floor = pnow - T[cur].msk
                :: else -> skip
                fi
            };
            atomic {                              /* the wider leeway, the lifetime */
                if
                :: gmax > T[cur].msk -> T[cur].msk = gmax
                :: else -> skip
                fi;
                if
                :: glf > T[cur].mlt -> T[cur].mlt = glf
                :: else -> skip
                fi;
                pnow = 0;
                running = true
            }
#else
            /* no claim in flight meanwhile (as under every stripe's lock) */
            atomic { T[cur].lock == 0 -> widen(); running = true }
#endif
#endif
#ifndef NO_GRACEFUL_RESIZE
        :: atomic {
            /* (b) graceful restart with another size: the old children
             * go on claiming in the old table while the parent takes it
             * over; the new generation's start once it is in place */
            running && ntab < NT -> ev++;
            WITNESS(9, "(b) graceful restart, new size");
            configure();
            running = false
           };
            replace();
            if
            :: ok -> running = true               /* (jg_rt_widen(): nothing wider) */
            :: else ->                            /* the restart fails: httpd exits */
                kill_all();
                ok = true
            fi
#endif
#ifndef GRACEFUL_ONLY                                      /* a search bound: no stop, crash or loss */
        :: atomic {
            /* (c) stop, then start: close_at_exit() once the children
             * are gone (msync, the clean mark), then cold_start():
             * clean, kept */
            running -> ev++;
            WITNESS(10, "(c) stop and start");
            kill_all()
           };
            atomic {
                ALL_GONE ->
#ifdef DISK_SNAPSHOT
                i = 0;
                do
                :: i < NS -> disk_s[i].key = T[cur].s[i].key; disk_s[i].exp = T[cur].s[i].exp; i++
                :: else -> break
                od;
                disk_nslots = T[cur].nslots; disk_horizon = T[cur].horizon;
                disk_msk = T[cur].msk; disk_mlt = T[cur].mlt; disk_floor = T[cur].floor; i = 0;
#endif
#ifdef MUTANT_MARK_RETRY
                mem_open = false;
#endif
                HD_SYNC(cur);
                disk_clean = true;
                start_keep()
            }
        :: atomic {
            /* (d) every process crashes; a start in the same boot: the
             * page cache kept every store (JWTG0703) */
            running -> ev++;
            WITNESS(11, "(d) crash of every process");
            kill_all()
           };
            atomic { ALL_GONE -> start_keep() }
        :: atomic {
            /* (e) power loss (also while httpd is down after a refused
             * start); a start in another boot */
            ev++;
            WITNESS(12, "(e) power loss");
            if
            :: !running -> WITNESS(22, "a power loss after a refused start")
            :: else -> skip
            fi;
            kill_all()
           };
            atomic {
                ALL_GONE;
#ifdef MUTANT_MARK_RETRY
                mem_open = false;                 /* the header as on disk: another boot */
#endif
                if
                :: disk_clean ->                  /* the file says clean: kept */
                    T[cur].retired = 0;           /* (a retirement never synced) */
#ifdef DISK_SNAPSHOT
                    i = 0;                        /* with the records last synced */
                    do
                    :: i < NS -> T[cur].s[i].key = disk_s[i].key; T[cur].s[i].exp = disk_s[i].exp; i++
                    :: else -> break
                    od;
                    T[cur].nslots = disk_nslots; T[cur].horizon = disk_horizon;
                    T[cur].msk = disk_msk; T[cur].mlt = disk_mlt; T[cur].floor = disk_floor; i = 0;
#endif
                    start_keep()
                :: else ->
                    /* unclean and of another boot (JWTG0704): a new table
                     * with the horizon at now and the bounds of the file it
                     * replaces, widened to this configuration's */
                    j = T[cur].nslots;
                    cm = CARRIED_MSK; cl = CARRIED_MLT;
                    nt = 0;
                    do
                    :: nt < NT -> clear_table(nt); nt++
                    :: else -> break
                    od;
                    T[0].nslots = j;
#ifdef MUTANT_NO_HORIZON
                    T[0].horizon = 0;
#else
                    T[0].horizon = now;
#endif
                    cur = 0; ntab = 1; nt = 0; j = 0;
                    configure_any();
#ifdef MUTANT_LOSS_SKEW
                    /* the C code before the fix: this configuration's alone */
                    T[0].msk = gmax; T[0].mlt = glf;
#else
                    T[0].msk = MAX(gmax, cm); T[0].mlt = MAX(glf, cl);
#endif
                    cm = 0; cl = 0;
                    mark_open(0, 1);              /* install() */
                    go_on()
                fi
            }
        :: atomic {
            /* (f) httpd started again in this boot after a refused start
             * (an administrator, systemd's Restart=on-failure):
             * cold_start() finds the table "in use, in this boot"
             * (JWTG0703) and keeps it; after a refused resize it finds the
             * retired one and discards it, as (e) does */
            !running && ALL_GONE && !T[cur].retired -> ev++;
            WITNESS(25, "(f) a start again in this boot after a refused one");
            start_keep();
            if
            :: running -> WITNESS(26, "a start again in this boot wrote its mark anew (mark_open always) and started")
            :: else -> skip
            fi
           }
        :: atomic {
            /* one child crashes, perhaps holding the lock */
            running -> ev++;
            WITNESS(13, "one child crashes");
            if
            :: dead[0] = true
            :: dead[1] = true
            :: dead[2] = true
            fi
           }
#endif
        fi
    :: else -> break
    od
}
