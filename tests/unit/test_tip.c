/* test_tip.c - unit tests for tip (none yet). */
#include "t.h"

int main(void)
{
    T_DONE();
}
