# Cross-build cio for aarch64 Linux with Debian's gcc-aarch64-linux-gnu and
# run its tests under qemu-user (scripts/aarch64.sh, CI's aarch64 step):
#
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
#
# Libraries are looked for only among the arm64 packages (multiarch:
# dpkg --add-architecture arm64; apt-get install libcmocka-dev:arm64), so the
# optional parts whose arm64 -dev package is not installed build without it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Multiarch puts arm64 libraries under /usr/lib/aarch64-linux-gnu, outside the
# root path above: search there too, and only there for pkg-config.
list(APPEND CMAKE_FIND_ROOT_PATH /)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
# ctest runs every test program through qemu. No -L: the arm64 loader and
# libc come from multiarch (libc6:arm64, which libcmocka-dev:arm64 pulls in);
# mixing the cross toolchain's libc (/usr/aarch64-linux-gnu) with multiarch
# libraries hangs the first pthread_create.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
