/* src/core/symbolize.c - naming code addresses for printed backtraces.
 *
 * dladdr knows only the dynamic symbol table: exported names. cio's own
 * functions are hidden and the program's are static, so a backtrace of a
 * task would be mostly "??". The ELF symbol table (.symtab, kept unless the
 * file is stripped) has them all: this reads it from the object's file.
 * Not async-signal-safe (it opens and maps files): for cio_task_print_stack
 * and the dumps, never for the watchdog's handler. */
#include "core/symbolize.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void unmap(struct cio__symbolizer *s) {
    if (s->map) munmap(s->map, s->len);
    s->map = NULL;
    s->len = 0;
    s->path[0] = '\0';
}

/* Map path, or keep the mapping already made for it. */
static bool map_file(struct cio__symbolizer *s, const char *path) {
    if (s->map && strcmp(s->path, path) == 0) return true;
    unmap(s);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC); /* a relative argv[0] */
    if (fd < 0) return false;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(Elf64_Ehdr))
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return false;
    s->map = map;
    s->len = (size_t)st.st_size;
    snprintf(s->path, sizeof s->path, "%s", path);
    return true;
}

static bool in_file(const struct cio__symbolizer *s, uint64_t off, uint64_t size) {
    return off <= s->len && size <= s->len - off;
}

/* The function symbol of .symtab covering vaddr. */
static const char *lookup(const struct cio__symbolizer *s, uint64_t vaddr, uint64_t *start) {
    const Elf64_Ehdr *eh = s->map;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        !in_file(s, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return NULL;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)((const char *)s->map + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
        const Elf64_Shdr *strtab = &sh[sh[i].sh_link];
        if (!in_file(s, sh[i].sh_offset, sh[i].sh_size) ||
            !in_file(s, strtab->sh_offset, strtab->sh_size))
            return NULL;
        const Elf64_Sym *sym = (const Elf64_Sym *)((const char *)s->map + sh[i].sh_offset);
        size_t count = sh[i].sh_size / sizeof *sym;
        for (size_t k = 0; k < count; k++) {
            if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_name >= strtab->sh_size)
                continue;
            if (vaddr >= sym[k].st_value && vaddr < sym[k].st_value + sym[k].st_size) {
                *start = sym[k].st_value;
                return (const char *)s->map + strtab->sh_offset + sym[k].st_name;
            }
        }
    }
    return NULL;
}

const char *cio__symbolize(struct cio__symbolizer *s, const void *addr, size_t *offset,
                           const char **object, size_t *object_offset) {
    Dl_info dl;
    memset(&dl, 0, sizeof dl);
    /* a return address: name the call before it (a noreturn call may end a function) */
    const char *pc = (const char *)addr - 1;
    if (!dladdr(pc, &dl) || !dl.dli_fname) {
        *object = "?";
        *object_offset = (size_t)(uintptr_t)addr;
        return NULL;
    }
    const char *base = strrchr(dl.dli_fname, '/');
    *object = base ? base + 1 : dl.dli_fname;
    *object_offset = (size_t)((uintptr_t)addr - (uintptr_t)dl.dli_fbase);
    if (dl.dli_sname && dl.dli_saddr) {
        *offset = (size_t)((uintptr_t)addr - (uintptr_t)dl.dli_saddr);
        return dl.dli_sname;
    }
    uint64_t start = 0;
    const char *name =
        map_file(s, dl.dli_fname) ? lookup(s, (uint64_t)(*object_offset - 1), &start) : NULL;
    if (name) *offset = *object_offset - (size_t)start;
    return name;
}

void cio__symbolizer_done(struct cio__symbolizer *s) {
    unmap(s);
}
