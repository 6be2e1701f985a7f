/* test_gguf.c - unit tests for gguf (none yet). */
#include "t.h"

int main(void)
{
    T_DONE();
}
