/* test_sampler.c - unit tests for sampler (none yet). */
#include "t.h"

int main(void)
{
    T_DONE();
}
