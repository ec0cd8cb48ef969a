/*
 * Guest page-table walks (include/mm/walk.h).
 */
#include "mm.h"
#include "mm/walk.h"
#include "x86.h"

uint64_t walk_to_table(uint64_t l4, uint64_t va, int level, unsigned *index)
{
    uint64_t table = l4;
    for (int l = 4; l > level; l--) {
        uint64_t e = ((uint64_t *)mfn_to_virt(table))[pt_index(va, l)];
        if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE) || !mfn_valid(pte_mfn(e)))
            return 0;
        table = pte_mfn(e);
    }
    *index = (unsigned)pt_index(va, level);
    return table;
}

uint64_t walk_to_pte(uint64_t l4, uint64_t va)
{
    unsigned index;
    uint64_t l1 = walk_to_table(l4, va, 1, &index);
    return l1 ? ((uint64_t *)mfn_to_virt(l1))[index] : 0;
}
