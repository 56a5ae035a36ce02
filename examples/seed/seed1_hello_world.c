/* Seed 1: a coroutine. asyncio's
 *     async def main(): print("Hello"); await asyncio.sleep(1); print("World")
 *     asyncio.run(main())                                                        */
#include <cio.h>
#include <stdio.h>

static void *hello_world(void *arg) {
    (void)arg;
    puts("Hello");
    cio_sleep(1.0); /* simulate I/O: other tasks run meanwhile */
    puts("World");
    return NULL;
}

int main(void) {
    return cio_run(hello_world, NULL, NULL) == 0 ? 0 : 1;
}
