/* Single use: a Promela model of the replay table and its life in httpd
 * (src/core/jg_replay_table.c, src/httpd/jg_replay.c; docs/architecture.md,
 * "Single use"). spin checks that no assertion is accepted twice: every
 * acceptance happens before the assertion's expiry (the grant's time
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

/* Assertion a: the earliest second at which the grant's time checks can
 * pass (jg_assertion_earliest_use) and the last one (exp + skew, the
 * expiry the grant hands the table): a0 [1,3], a1 [2,4], a2 [3,4]. With
 * SHOW_BUG_SKEW, sk = 1 is a configuration whose skew is a second
 * shorter (the window a second narrower at each end); else sk = 0. */
#define E(a)        ((a) == 0 -> 1 : ((a) == 1 -> 2 : 3))
#define X(a)        ((a) == 0 -> 3 : 4)
#define EARLIEST(a) (E(a) + sk)
#define EXPIRY(a)   (X(a) - sk)
#define VALID(a)    (EARLIEST(a) <= now && now <= EXPIRY(a))

/* jg_rt_claim(): JG_CLAIM_UNKNOWN when earliest <= the horizon */
#ifdef MUTANT_STRICT_LT
#define HORIZON_REFUSES(a, t)  (EARLIEST(a) < T[t].horizon)
#else
#define HORIZON_REFUSES(a, t)  (EARLIEST(a) <= T[t].horizon)
#endif

/* A record: the digest of its key (here the assertion + 1) and its
 * expiry (0: never used); free once its expiry has passed by the table's
 * clock (live()). */
typedef slot_t {
    byte key;
    byte exp
};

/* A table (struct jg_rt): its slots, its size (0: no table), its horizon
 * (0: none), its lock (the stripes' robust mutexes, one here; 0: free,
 * else the holder's _pid + 1) and the retired flag. */
typedef table_t {
    slot_t s[NS];
    byte nslots;
    byte horizon;
    byte lock;
    bit retired
};

table_t T[NT];
byte cur;           /* the table of the current generation (the file in use) */
byte ntab;          /* table objects in use: T[0 .. ntab-1] */
byte now = 1;       /* the clock (time(), apr_time_now()): one for all */
byte cap;           /* not 0: the clock stays below it (see take_over) */
bool running;       /* httpd is up: children start */
bool dead[NW];      /* a child dies (a crash, a stop); cleared once it is gone */
bool disk_clean;    /* the file on disk says "closed cleanly" */
byte ev;            /* restarts and crashes so far */
byte acc[NA];       /* ghost: acceptances of each assertion */

#ifdef SHOW_BUG_MSYNC
slot_t disk_s[NS];  /* the records on disk as of the last msync */
byte disk_nslots, disk_horizon;
#endif

#define LIVE(t, i, tt) (T[t].s[i].exp != 0 && T[t].s[i].exp >= (tt))

#ifdef MUTANT_NO_LOCK
#define LOCK(t)   skip
#define UNLOCK(t) skip
#else
/* lock() / unlock(): pthread_mutex_lock on the table's stripes, one order */
#define LOCK(t)   atomic { T[t].lock == 0 -> T[t].lock = _pid + 1 }
#define UNLOCK(t) T[t].lock = 0
#endif

/* insert() under the lock, at the table's clock: f is the slot for the
 * record, or NONE (refused: used, expired or full). Every slot of the
 * table is a candidate (both buckets of the key). */
inline decide(t) {
    f = NONE;
    if
#ifndef MUTANT_NO_EXPIRED_CHECK
    :: EXPIRY(a) < now ->                         /* expired by the table's clock */
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
    T[t].s[f].key = a + 1;
    T[t].s[f].exp = EXPIRY(a);
    acc[a]++;
    assert(acc[a] <= 1)                           /* THE PROPERTY: never twice */
}

/* A child: claims in the table of the generation that started it (the
 * `table` static of jg_replay.c) until it exits or dies. */
active [NW] proctype child()
{
    byte t, a, sk, f, i;

end:
    do
    :: atomic { running && !dead[_pid] -> t = cur }      /* a child starts */
        {
request:    do
            :: /* a request: its assertion passes every other check of the
                * grant at this moment (jg_assertion_check), then
                * jg_grant_claim() -> jg_rt_claim(): first the horizon, read
                * without the lock (set before the table's children exist) */
                atomic {
#ifdef SHOW_BUG_SKEW
                    if                            /* this host's or this generation's skew */
                    :: skip
                    :: (E(0) < now && now < X(0) || E(1) < now && now < X(1)
                        || E(2) < now && now < X(2)) -> sk = 1
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
                        goto request
                    fi
                };
#ifdef MUTANT_FLAG_BEFORE_LOCK
                if
                :: T[t].retired -> a = 0; sk = 0; goto request
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
                        goto request
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
            t = 0; a = 0; sk = 0; f = 0; i = 0;
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
    :: atomic { now < TMAX && (cap == 0 || now < cap) -> now++ }
    od
}

/* replace(): a new table of the other size (new_table() with the old
 * horizon), then take_over(): jg_rt_retire() and jg_rt_copy() of the old
 * table into it, the new horizon when records are lost; then the new
 * table is in use (install(); the new generation's children start). */
inline replace() {
    atomic {
        nt = ntab;
        ntab++;
        T[nt].nslots = NS + 1 - T[cur].nslots;
        T[nt].horizon = T[cur].horizon;          /* (jg_rt_copy() raises it alike) */
        pnow = now;                               /* take_over(): apr_time_now() */
#ifndef SHOW_BUG_RESIZE_CLOCK
        /* assumed: the flag is set (the next call) within a second */
        cap = now + 1
#endif
    };
#ifndef MUTANT_NO_RETIRE
    atomic { T[cur].retired = 1; cap = 0 };       /* jg_rt_retire(): the flag, */
#ifndef MUTANT_NO_LOCK
    atomic { T[cur].lock == 0 -> skip };          /* then each lock taken and let go */
#endif
#else
    cap = 0;
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
            if                                    /* jg_rt_raise_horizon(to, now + 1) */
            :: pnow + 1 > T[nt].horizon -> T[nt].horizon = pnow + 1
            :: else -> skip
            fi
#else
            skip
#endif
        :: else -> skip
        fi;
        cur = nt;                                 /* install(); table = the new one */
        disk_clean = false;                       /* a new file: never marked clean */
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
    T[n].nslots = 0; T[n].horizon = 0; T[n].lock = 0; T[n].retired = 0;
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

/* mark_open(): "in use, in this boot" on disk before any child claims */
inline mark_open() {
#ifdef SHOW_BUG_MSYNC
    if
    :: disk_clean = false
    :: skip                                       /* its msync failed, unchecked */
    fi
#else
    disk_clean = false
#endif
}

/* cold_start() with the table kept (clean, or unclean in this boot) */
inline start_keep() {
    T[cur].lock = 0;                              /* jg_rt_reset_locks() */
    compact();
    if
    :: skip
    :: replace();                                 /* the size changed while stopped */
        compact()
    fi;
    mark_open();
    running = true
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

    /* the first start, with an empty state directory: a new table
     * without a horizon (cold_start()) */
    atomic {
        T[0].nslots = NS; ntab = 1; cur = 0;
        mark_open();
        running = true
    };
    do
    :: ev < MAXEV ->
        if
        :: atomic {
            /* (a) graceful restart, same size: jg_replay_post_config()
             * finds the table in the process pool; the new generation's
             * children claim in it beside the old one's */
#ifdef MUTANT_GEN_TABLE
            ntab < NT ->
#endif
            ev++;
            WITNESS(8, "(a) graceful restart, same size");
#ifdef MUTANT_GEN_TABLE
            /* a table per generation, as a socache would have */
            nt = ntab;
            ntab++;
            T[nt].nslots = T[cur].nslots;
            cur = nt;
            nt = 0
#else
            skip
#endif
           }
#ifndef NO_GRACEFUL_RESIZE
        :: atomic {
            /* (b) graceful restart with another size: the old children
             * go on claiming in the old table while the parent takes it
             * over */
            ntab < NT -> ev++;
            WITNESS(9, "(b) graceful restart, new size")
           };
            replace()
#endif
        :: atomic {
            /* (c) stop, then start: close_at_exit() once the children
             * are gone (msync, the clean mark), then cold_start():
             * clean, kept */
            ev++;
            WITNESS(10, "(c) stop and start");
            kill_all()
           };
            atomic {
                ALL_GONE ->
#ifdef SHOW_BUG_MSYNC
                i = 0;
                do
                :: i < NS -> disk_s[i].key = T[cur].s[i].key; disk_s[i].exp = T[cur].s[i].exp; i++
                :: else -> break
                od;
                disk_nslots = T[cur].nslots; disk_horizon = T[cur].horizon; i = 0;
#endif
                disk_clean = true;
                start_keep()
            }
        :: atomic {
            /* (d) every process crashes; a start in the same boot: the
             * page cache kept every store (JWTG0703) */
            ev++;
            WITNESS(11, "(d) crash of every process");
            kill_all()
           };
            atomic { ALL_GONE -> start_keep() }
        :: atomic {
            /* (e) power loss; a start in another boot */
            ev++;
            WITNESS(12, "(e) power loss");
            kill_all()
           };
            atomic {
                ALL_GONE;
                if
                :: disk_clean ->                  /* the file says clean: kept */
#ifdef SHOW_BUG_MSYNC
                    i = 0;                        /* with the records last synced */
                    do
                    :: i < NS -> T[cur].s[i].key = disk_s[i].key; T[cur].s[i].exp = disk_s[i].exp; i++
                    :: else -> break
                    od;
                    T[cur].nslots = disk_nslots; T[cur].horizon = disk_horizon;
                    T[cur].retired = 0; i = 0;
#endif
                    start_keep()
                :: else ->
                    /* unclean and of another boot (JWTG0704): a new table
                     * with the horizon at now */
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
                    mark_open();
                    running = true
                fi
            }
        :: atomic {
            /* one child crashes, perhaps holding the lock */
            ev++;
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
