#include "json_values.h"

struct json_object *json_money(cents_t amount)
{
    char text[MONEY_STRLEN];
    money_format(amount, text);
    return json_object_new_double_s((double)amount / 100.0, text);
}

struct json_object *json_quantity(int64_t milli)
{
    if (milli % 1000 == 0)
        return json_object_new_int64(milli / 1000);
    char text[MONEY_QUANTITY_STRLEN];
    money_quantity_format(milli, text);
    return json_object_new_double_s((double)milli / 1000.0, text);
}
