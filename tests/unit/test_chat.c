/* test_chat.c - unit tests for chat (none yet). */
#include "t.h"

int main(void)
{
    T_DONE();
}
