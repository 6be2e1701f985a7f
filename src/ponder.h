/* ponder.h - the one public boundary of the ponder engine.
 *
 * Everything outside src/ (the TUI in ui/, the CLI subcommands, the tests)
 * talks to the engine through this header: open a model, start a session,
 * generate, and receive a stream of events.  Nothing here exposes model or
 * backend internals.
 */
#ifndef PONDER_H
#define PONDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Status codes: every engine function that can fail returns one, and leaves
 * a one-line explanation in pd_errmsg() (thread-local).
 * ------------------------------------------------------------------------ */
#define PD_STATUS_LIST(X)                                   \
    X(PD_OK,           "ok")                                \
    X(PD_EIO,          "input/output error")                \
    X(PD_EFORMAT,      "bad file format")                   \
    X(PD_ENOMEM,       "out of memory")                     \
    X(PD_EUNSUPPORTED, "not supported")                     \
    X(PD_EARG,         "bad argument")                      \
    X(PD_ECANCELLED,   "cancelled")                         \
    X(PD_EBACKEND,     "backend failure")                   \
    X(PD_ELIMIT,       "limit exceeded")

typedef enum {
#define PD_X_ENUM(code, text) code,
    PD_STATUS_LIST(PD_X_ENUM)
#undef PD_X_ENUM
    PD_STATUS_COUNT
} pd_status;

/* Generic text of a status code ("bad file format"). */
const char *pd_status_str(pd_status s);
/* The detailed message of the last failure on this thread, e.g.
 * "model.gguf: tensor 'blk.0.attn_q.weight' data lies beyond the end of the file".
 * Never NULL. */
const char *pd_errmsg(void);
/* Record a failure: formats the message, returns s (so `return pd_fail(...)`). */
pd_status pd_fail(pd_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

const char *pd_version(void);

/* ------------------------------------------------------------------------
 * Models
 * ------------------------------------------------------------------------ */
typedef struct pd_model pd_model;

typedef enum {
    PD_BACKEND_AUTO = 0, /* CUDA when a usable GPU is present, else CPU */
    PD_BACKEND_CPU,
    PD_BACKEND_CUDA,
} pd_backend_kind;

typedef struct pd_model_opts {
    pd_backend_kind backend;
    int n_threads;      /* CPU threads; 0 = number of cores */
    int n_ctx;          /* context length; 0 = model's, capped at 8192 */
    bool verbose;       /* memory plan and load progress on stderr */
    bool no_repack;     /* CPU: read Q4_K weights as stored, no interleaved copy */
    bool attn_f32;      /* CPU: decode attention sums values in F32 at every depth,
                           not llama.cpp's half accumulator under 512 cached keys */
} pd_model_opts;

void pd_model_opts_default(pd_model_opts *o);
pd_status pd_model_open(const char *path, const pd_model_opts *opts, pd_model **out);
void pd_model_close(pd_model *m);

/* Short descriptions for status lines: "ds3-F16 · deepseek2", "cpu". */
const char *pd_model_name(const pd_model *m);
const char *pd_model_backend_name(const pd_model *m);
int pd_model_n_ctx(const pd_model *m);
/* Why --backend auto chose what it chose ("using cpu: CUDA plugin ... not
 * found"); "" when the requested backend runs. For a status line, not an error. */
const char *pd_model_backend_note(const pd_model *m);
/* "" or why the chat template was guessed (an unrecognised Jinja template). */
const char *pd_model_template_note(const pd_model *m);
/* "" or why decode runs slower than it could (too little free memory to
 * repack the Q4_K weights for the CPU). */
const char *pd_model_memory_note(const pd_model *m);

/* ------------------------------------------------------------------------
 * Generation parameters. A session copies them; pd_session_set_params may be
 * called from any thread at any time and takes effect on the next token.
 * ------------------------------------------------------------------------ */
typedef enum { PD_TIP_STEP = 0, PD_TIP_DECAY } pd_tip_schedule;

enum { PD_GROUP_SWITCH = 1u << 0, PD_GROUP_REFLECT = 1u << 1 };

typedef struct pd_params {
    /* sampler */
    float temperature;      /* 0 = greedy */
    int top_k;              /* 0 = off */
    float top_p;            /* 1 = off */
    float min_p;            /* 0 = off */
    float repeat_penalty;   /* 1 = off */
    int repeat_last_n;
    uint64_t seed;
    int max_tokens;         /* generated tokens per turn */
    /* thought-switching penalty (DESIGN.md §5) */
    bool tip_on;
    float tip_alpha;
    int tip_beta;
    unsigned tip_groups;    /* PD_GROUP_* penalised by TIP */
    pd_tip_schedule tip_schedule;
    int min_thought;        /* 0 = off; see tip.h */
    /* reasoning controls */
    int think_budget;       /* 0 = off: force </think> after N think tokens */
    bool no_wait;           /* suppress the [reflect] group entirely */
    /* prompt */
    const char *template_name; /* NULL = from the model file */
    const char *system;        /* NULL = none */
    bool raw;                  /* no chat template */
} pd_params;

void pd_params_default(pd_params *p);

/* ------------------------------------------------------------------------
 * Events (DESIGN.md §2). Pointers inside an event are valid only during the
 * callback.
 * ------------------------------------------------------------------------ */
typedef enum {
    PD_EV_THINK,      /* text inside <think> */
    PD_EV_ANSWER,     /* text of the answer (inside <answer>, or after </think>) */
    PD_EV_THOUGHT,    /* a new thought began */
    PD_EV_SUPPRESSED, /* TIP changed the outcome at this position */
    PD_EV_STATS,      /* periodic and final statistics */
    PD_EV_DONE,       /* end of the turn */
} pd_event_type;

typedef enum {
    PD_DONE_EOS, PD_DONE_MAX_TOKENS, PD_DONE_CANCELLED, PD_DONE_ERROR,
} pd_done_reason;

typedef struct pd_stats {
    double tok_per_s;        /* decode speed of this turn */
    double prefill_tok_per_s;
    int prompt_tokens;
    int think_tokens;
    int answer_tokens;
    int thoughts;            /* thoughts so far (index 0 included) */
    int switches;            /* thoughts opened by a [switch] phrase */
    int reflections;         /* thoughts opened by a [reflect] phrase */
    int suppressed;
    int tip_window_left;     /* tokens left in the current penalty window */
} pd_stats;

typedef struct pd_event {
    pd_event_type type;
    const char *text;        /* THINK, ANSWER: UTF-8, complete sequences */
    size_t len;
    int index;               /* THOUGHT: 0 for the opening thought */
    int position;            /* index of the generated token, from 0 */
    const char *trigger;     /* THOUGHT: the phrase, e.g. "Alternatively"; "" for index 0 */
    int group;               /* THOUGHT: PD_GROUP_* of the trigger (0 for index 0) */
    int token;               /* SUPPRESSED: the id TIP pushed down */
    const char *piece;       /* SUPPRESSED: its text */
    const pd_stats *stats;   /* STATS, DONE */
    pd_done_reason reason;   /* DONE */
    const char *error;       /* DONE with PD_DONE_ERROR */
} pd_event;

typedef void (*pd_event_fn)(const pd_event *ev, void *user);

/* Event names as written in JSONL ("think", "thought", ...). */
const char *pd_event_name(pd_event_type t);
const char *pd_done_reason_name(pd_done_reason r);
/* One JSON object for the event, without newline, into buf (NUL-terminated,
 * truncated safely). Returns the length it needed. */
size_t pd_event_to_json(const pd_event *ev, char *buf, size_t size);

/* ------------------------------------------------------------------------
 * Sessions: a conversation on one model.
 * ------------------------------------------------------------------------ */
typedef struct pd_session pd_session;

pd_status pd_session_new(pd_model *m, const pd_params *p, pd_session **out);
void pd_session_free(pd_session *s);

/* Live parameters: safe from any thread; effective from the next token.
 * The session keeps its own copies of the strings; those returned by
 * get_params stay valid until the next set_params. */
void pd_session_set_params(pd_session *s, const pd_params *p);
void pd_session_get_params(pd_session *s, pd_params *p);

/* Load a phrase set file (share/ponder/phrases format) for TIP and the
 * thought segmenter; NULL = the built-in English set. Safe from any thread;
 * called during a turn, it takes effect from the next turn. */
pd_status pd_session_set_phrases(pd_session *s, const char *path);

/* Run one user turn: template, tokenize, prefill, decode, emitting events.
 * Blocks until done; returns PD_OK also when cancelled (a DONE event says
 * why). */
pd_status pd_session_generate(pd_session *s, const char *user_text,
                              pd_event_fn fn, void *user);

/* Ask the running generation to stop; async-signal-safe. Takes effect
 * before the next token. A cancel made just before pd_session_generate
 * starts (e.g. from another thread) stops that turn at once: the request is
 * forgotten only when a turn ends. */
void pd_session_cancel(pd_session *s);

/* Forget the conversation (KV cache and history). */
void pd_session_clear(pd_session *s);
/* Forget the last turn (for /retry); false when there is none. */
bool pd_session_pop_turn(pd_session *s, char **user_text_out);
/* Save the sampler's random stream, and go back to it: turns run from one
 * saved point draw the same random numbers (/ab compares TIP off and on
 * so; the repetition penalty's history is rebuilt from each prompt).
 * Restoring also forgets the KV cache past the saved point, so the next
 * prompt is evaluated as it was then, to the same logits. Restore is false
 * when nothing was saved. Not during a turn. */
pd_status pd_session_save_sampler(pd_session *s);
bool pd_session_restore_sampler(pd_session *s);

/* ------------------------------------------------------------------------
 * Saving a user's file: never a partial write (DESIGN.md §7). The data goes
 * to a temporary file beside the target, which replaces the target only on
 * a successful commit; symbolic links are followed (the link stays);
 * devices and FIFOs are written in place.
 * ------------------------------------------------------------------------ */
typedef struct pd_outfile pd_outfile;
pd_status pd_outfile_open(const char *path, pd_outfile **out);
FILE *pd_outfile_stream(pd_outfile *o);
/* Where the data will end up (links resolved), e.g. for a free-space check. */
const char *pd_outfile_final_path(const pd_outfile *o);
/* Flush, sync, rename into place; frees o. On failure the target is as it was. */
pd_status pd_outfile_commit(pd_outfile *o);
/* Drop what was written; frees o (NULL is fine). */
void pd_outfile_abort(pd_outfile *o);

/* ------------------------------------------------------------------------
 * Installed data (phrase sets, themes, demo model)
 * ------------------------------------------------------------------------ */
/* Absolute path of a data file, e.g. pd_data_path("models/ponder-demo.gguf"),
 * looked up in $PONDER_DATADIR, the source tree of an uninstalled build, then
 * the installed pkgdatadir. Returns a malloc'd string or NULL if not found. */
char *pd_data_path(const char *relative);
/* Add to the ", "-separated list in out (a string, maybe empty) the names
 * of the files ending in suffix in every data directory's subdirectory
 * `dir` (the suffix cut off) that it lacks, in lookup order; what does not
 * fit in n bytes is left out. */
void pd_data_names(const char *dir, const char *suffix, char *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* PONDER_H */
