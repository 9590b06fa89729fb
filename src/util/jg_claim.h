/* What a single-use claim found: the replay cache's answer to "remember this
 * one-time value until it expires, unless it is known already". Shared by
 * the caches (jg_replay_table.h, the glue's Redis and memcached clients) and
 * the grants that ask (jg_grant.h); docs/architecture.md, "Single use",
 * says how the answers keep the invariant. */
#ifndef JG_CLAIM_H
#define JG_CLAIM_H

typedef enum {
    JG_CLAIM_FRESH = 0,   /* never seen: remembered from now until its expiry */
    JG_CLAIM_USED,        /* seen before (or expired already): refuse */
    JG_CLAIM_UNKNOWN,     /* its earliest possible use is at or before the
                           * moment the cache last lost records: it may have
                           * been used, refuse */
    JG_CLAIM_FULL         /* no room to remember it: refuse, retry later */
} jg_claim_t;

/* An earliest use that no horizon refuses (JWTGrantReplayHorizon Off). */
#define JG_CLAIM_NO_HORIZON 0x7fffffffffffffffLL

#endif
