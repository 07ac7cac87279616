/* The preset dictionary of packed text (common/packed.h). */
#ifndef CLAIMS_PACKED_DICT_H
#define CLAIMS_PACKED_DICT_H

extern const char packed_dict_v1[];
extern const unsigned packed_dict_v1_len;

#endif
