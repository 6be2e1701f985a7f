/* fuzz_transcript.c - libFuzzer target for the REPL's /load of a .jsonl
 * transcript (ui_transcript_load_jsonl): load any bytes, then walk every turn
 * the loader built the way the panes and /save do. A bad file must give -1
 * and a message, never a crash; a good one must hold a turn. Build and run
 * with `make fuzz-text` (clang). */
#include "fuzz_file.h"
#include "ui.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void walk(const ui_transcript *t)
{
    char line[512];
    for (int e = 0; e < t->n; e++) {
        const ui_turn *turn = t->v[e].turn;
        if (t->v[e].kind != UI_ENTRY_TURN || !turn)
            continue;
        sink += strlen(turn->prompt) + turn->answer.len + (size_t)ui_turn_suppressed(turn);
        ui_turn_summary(turn, line, sizeof line);
        sink += strlen(line);
        for (int i = 0; i < turn->n_th; i++) {
            ui_thought_header(turn, i, line, sizeof line);
            sink += strlen(line) + (size_t)ui_thought_tokens(turn, i);
        }
        for (int i = 0; i < turn->n_log; i++)
            sink += turn->log[i].text ? strlen(turn->log[i].text) : 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ui_transcript t = {0};
    char err[512] = "";
    int rc = ui_transcript_load_jsonl(&t, fuzz_file(data, size), err, sizeof err);
    if (rc != 0 && rc != -1)
        __builtin_trap();
    if (rc != 0 && !err[0])
        __builtin_trap();          /* every failure says why */
    if (rc == 0 && ui_transcript_last_turn(&t) == NULL)
        __builtin_trap();          /* success means there is something to show */
    walk(&t);
    ui_transcript_free(&t);
    return 0;
}
