/* test_thoughts.c - unit tests for thoughts (none yet). */
#include "t.h"

int main(void)
{
    T_DONE();
}
