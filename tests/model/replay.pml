/* Single use: a Promela model of the replay table and its life in httpd
 * (src/core/jg_replay_table.c, src/httpd/jg_replay.c; docs/architecture.md,
 * "Single use"). spin checks that no assertion is accepted twice: every
 * acceptance happens within the assertion's validity (the grant's time
 * checks), so a second one is a replay. tests/model/README.md maps each
 * part to the C code and says what is abstracted away and why.
 *
 * The model and the C code describe the same protocol: change them
 * together. tests/model/run checks this model and its mutants.
 *
 * Build flags (spin -DNAME -a replay.pml):
 *   MUTANT_*    a deliberate bug; spin must find a replay (tests/model/run)
 *   SHOW_BUG_*  a flaw of the C protocol itself, kept visible (README.md)
 *
 * Search bounds: MAXEV (restarts and crashes in one run, default 2) and
 * NO_GRACEFUL_RESIZE (no restart (b)): tests/model/run says which.
 *
 * WITNESS(n, what) marks a step that the search must reach (a full table,
 * each kind of restart, ...): it prints "witness n: what" the first time,
 * and tests/model/run checks that every one was printed. */

c_code {
static int jg_seen[32];
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

/* the file on disk may differ from the table in memory while "clean" */
#if defined(MUTANT_UNCHECKED_MSYNC) || defined(SHOW_BUG_MARK_RETRY)
#define DISK_SNAPSHOT
#endif

/* Assertion a: the lower bound its nbf or iat puts on "now" without
 * leeway (EB) and its exp (XR). A claimer whose JWTGrantClockSkew is sk
 * (0 or 1 second) accepts it from EB - sk to XR + sk:
 *   a0 (2, 2): [1,3] with a leeway of 1, [2,2] without;
 *   a1 (3, 3): [2,4], [3,3];
 *   a2 (4, 3): [3,4], never without (an nbf a second after its exp:
 *              nothing in the claim checks forbids it, and it gives an
 *              earliest use of 3 on a clock that ends at 4).
 * With SHOW_BUG_LIFETIME, lt = 1 is a claimer whose JWTGrantIdPMaxLifetime
 * is a second shorter, for an assertion without iat: it accepts it a
 * second later, and its earliest use is a second later. */
#define EB(a)       ((a) == 0 -> 2 : ((a) == 1 -> 3 : 4))
#define XR(a)       ((a) == 0 -> 2 : 3)
#ifdef SHOW_BUG_LIFETIME
#define LT          lt
#else
#define LT          0
#endif
#define VALID(a)    (EB(a) + LT - sk <= now && now <= XR(a) + sk)
/* some assertion is valid at now without leeway: a narrower claimer can
 * be asked for it */
#define NARROW_OK   (EB(0) <= now && now <= XR(0) || EB(1) <= now && now <= XR(1))

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
#define SKEW_BOUND(t)   (sk > T[t].msk -> sk : T[t].msk)
#endif
#define EARLIEST(a, t)  (EB(a) + LT - SKEW_BOUND(t))

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
 * (0: none), its max_skew, its lock (the stripes' robust mutexes, one
 * here; 0: free, else the holder's _pid + 1) and the retired flag. */
typedef table_t {
    slot_t s[NS];
    byte nslots;
    byte horizon;
    bit msk;
    byte lock;
    bit retired
};

table_t T[NT];
byte cur;           /* the table of the current generation (the file in use) */
byte ntab;          /* table objects in use: T[0 .. ntab-1] */
byte now = 1;       /* the clock (time(), apr_time_now()): one for all */
byte gmax = 1;      /* the widest JWTGrantClockSkew of the configuration */
bool running;       /* httpd is up: children start */
bool dead[NW];      /* a child dies (a crash, a stop); cleared once it is gone */
bool disk_clean;    /* the file on disk says "closed cleanly" */
byte ev;            /* restarts and crashes so far */
byte acc[NA];       /* ghost: acceptances of each assertion */

#ifdef DISK_SNAPSHOT
slot_t disk_s[NS];  /* the records on disk as of the last msync */
byte disk_nslots, disk_horizon;
bit disk_msk;
#endif

#define LIVE(t, i, tt) (T[t].s[i].exp != 0 && T[t].s[i].exp + KEEP(t) >= (tt))

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

/* A child: claims in the table of the generation that started it (the
 * `table` static of jg_replay.c) until it exits or dies; g is the widest
 * leeway of that generation's configuration. */
active [NW] proctype child()
{
    byte t, a, sk, f, i;
    bit g;
#ifdef SHOW_BUG_LIFETIME
    bit lt;
#endif

end:
    do
    :: atomic { running && !dead[_pid] -> t = cur; g = gmax }   /* a child starts */
        {
end_request: do                                   /* (idle between requests: a valid end) */
            :: /* a request: its assertion passes every other check of the
                * grant at this moment (jg_assertion_check) with the leeway
                * of its virtual host, the widest of the configuration or a
                * narrower one; then jg_grant_claim() -> jg_rt_claim():
                * first the horizon, read without the lock (set before the
                * table's children exist) */
                atomic {
                    sk = g;
                    if
                    :: skip
                    :: g > 0 && NARROW_OK -> sk = g - 1
                    fi;
#ifdef SHOW_BUG_LIFETIME
                    if                            /* this host's JWTGrantIdPMaxLifetime */
                    :: skip
                    :: lt = 1
                    fi;
#endif
                    if
                    :: VALID(0) && !HORIZON_REFUSES(0, t) -> a = 0
                    :: VALID(1) && !HORIZON_REFUSES(1, t) -> a = 1
                    :: VALID(2) && !HORIZON_REFUSES(2, t) -> a = 2
                    :: (VALID(0) && HORIZON_REFUSES(0, t) || VALID(1) && HORIZON_REFUSES(1, t)
                        || VALID(2) && HORIZON_REFUSES(2, t)) ->
                        /* JG_CLAIM_UNKNOWN: nothing changes */
                        WITNESS(4, "a claim refused for the horizon (JG_CLAIM_UNKNOWN)");
                        sk = 0;
#ifdef SHOW_BUG_LIFETIME
                        lt = 0;
#endif
                        goto end_request
                    :: else ->                    /* refused by the grant: nothing changes */
                        sk = 0;
#ifdef SHOW_BUG_LIFETIME
                        lt = 0;
#endif
                        goto end_request
                    fi;
                    if
                    :: sk < T[t].msk ->
                        WITNESS(19, "a claim by a claimer whose leeway is narrower than the table's")
                    :: else -> skip
                    fi;
#ifdef SHOW_BUG_LIFETIME
                    lt = 0;
#endif
#ifndef MUTANT_RECORD_OWN_SKEW
                    /* the claim is given exp and the earliest use (with
                     * skew_bound): nothing after this depends on sk */
                    sk = 0
#else
                    skip
#endif
                };
#ifdef MUTANT_FLAG_BEFORE_LOCK
                if
                :: T[t].retired ->
                    a = 0; sk = 0;
                    goto end_request
                :: else -> skip
                fi;
                LOCK(t);
                atomic {
#else
                LOCK(t);
                if
                :: T[t].retired ->                /* JG_CLAIM_FULL, retry in a second */
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
            t = 0; a = 0; sk = 0; f = 0; i = 0; g = 0;
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

/* jg_cache_post_config(): the widest JWTGrantClockSkew of this
 * configuration (max_skew). The same at every configuration, unless
 * SHOW_BUG_WIDEN_SKEW (a later one may widen it). */
inline configure() {
#ifdef SHOW_BUG_WIDEN_SKEW
    if
    :: skip
    :: gmax = 1
    fi
#else
    skip
#endif
}

/* jg_replay_post_config(): jg_rt_raise_skew(h->table, max_skew), never
 * lowered */
inline raise_skew() {
    if
    :: gmax > T[cur].msk -> T[cur].msk = gmax
    :: else -> skip
    fi
}

/* mark_open(): "in use, in this boot" on disk before any child claims.
 * A new table (install()) or a file that said clean is marked, and the
 * header synced (msync); a table already "in use, in this boot" is not.
 * When that msync fails the start (or the restart) does not happen:
 * ok = false; the file at the path is as it was. */
inline mark_open(fresh) {
    if
    :: fresh || disk_clean ->
        if
        :: disk_clean = false                     /* (a new file is never clean) */
        :: fresh ->                               /* msync() failed: install() fails */
#ifdef MUTANT_UNCHECKED_MSYNC
            disk_clean = false                    /* the new file: unclean all the same */
#else
            ok = false
#endif
        :: !fresh ->                              /* msync() failed: the disk still says clean */
#ifdef MUTANT_UNCHECKED_MSYNC
            skip                                  /* (void)msync(): started all the same */
#else
#ifdef SHOW_BUG_MARK_RETRY
            if
            :: ok = false
            :: skip  /* httpd started again at once, in this boot: cold_start()
                      * finds "in use, in this boot" in the page cache
                      * (JWTG0703), and mark_open() has nothing to write */
            fi
#else
            ok = false
#endif
#endif
        fi
    :: else -> skip                               /* already in use, in this boot */
    fi
}

/* replace(): a new table of the other size (new_table() with the old
 * horizon), then take_over(): jg_rt_retire(), the clock read, jg_rt_copy()
 * of the old table into it, the new horizon when records are lost; then
 * install() puts it in place (the new generation's children start), or
 * fails (ok = false; the old table, retired, stays at the path). */
inline replace() {
    atomic {
        nt = ntab;
        ntab++;
        T[nt].nslots = NS + 1 - T[cur].nslots;
        T[nt].horizon = T[cur].horizon;           /* (jg_rt_copy() raises it alike) */
        T[nt].msk = T[cur].msk;                   /* jg_rt_copy(): jg_rt_raise_skew() */
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
        mark_open(1);                             /* install(): marked, synced, renamed */
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
    T[n].nslots = 0; T[n].horizon = 0; T[n].msk = 0; T[n].lock = 0; T[n].retired = 0;
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

/* the end of jg_replay_post_config(): max_skew raised, children start;
 * or httpd does not start (JWTG0709) */
inline go_on() {
    if
    :: ok -> raise_skew(); running = true
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
    :: ok -> mark_open(0)
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

/* The parent: starts httpd, then MAXEV restarts and crashes. */
active proctype parent()
{
    byte i, j, nt, pnow, f;
    bool lost;
    bool ok = true;

    /* the first start, with an empty state directory: a new table
     * without a horizon (cold_start(), install()) */
    atomic {
#ifdef SHOW_BUG_WIDEN_SKEW
        if                                        /* the first configuration's */
        :: gmax = 0
        :: gmax = 1
        fi;
#endif
        T[0].nslots = NS; ntab = 1; cur = 0;
        mark_open(1);
        go_on()
    };
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
            cur = nt;
            nt = 0;
#endif
            raise_skew()
           }
#ifndef NO_GRACEFUL_RESIZE
        :: atomic {
            /* (b) graceful restart with another size: the old children
             * go on claiming in the old table while the parent takes it
             * over */
            running && ntab < NT -> ev++;
            WITNESS(9, "(b) graceful restart, new size");
            configure()
           };
            replace();
            if
            :: ok -> atomic { raise_skew() }
            :: else ->                            /* the restart fails: httpd exits */
                kill_all();
                ok = true
            fi
#endif
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
                disk_msk = T[cur].msk; i = 0;
#endif
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
                    T[cur].msk = disk_msk; i = 0;
#endif
                    start_keep()
                :: else ->
                    /* unclean and of another boot (JWTG0704): a new table
                     * with the horizon at now, max_skew 0 until raised */
                    j = T[cur].nslots;
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
                    configure();
#ifdef SHOW_BUG_LOSS_SKEW
                    if                            /* a narrower widest leeway */
                    :: skip
                    :: gmax = 0
                    fi;
#endif
                    mark_open(1);                 /* install() */
                    go_on()
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
        fi
    :: else -> break
    od
}
