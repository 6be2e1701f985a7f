/* test_quant.c - unit tests for quant (none yet). */
#include "t.h"

int main(void)
{
    T_DONE();
}
