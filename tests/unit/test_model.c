/* test_model.c - unit tests for model (none yet). */
#include "t.h"

int main(void)
{
    T_DONE();
}
