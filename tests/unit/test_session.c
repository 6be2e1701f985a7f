/* test_session.c - unit tests for session (none yet). */
#include "t.h"

int main(void)
{
    T_DONE();
}
