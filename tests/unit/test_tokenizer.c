/* test_tokenizer.c - unit tests for tokenizer (none yet). */
#include "t.h"

int main(void)
{
    T_DONE();
}
