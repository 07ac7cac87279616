#include "queue.h"

#include "queue/family_write.h"
#include "queue/scripts.h"
#include "queue/webhooks.h"

void queue_init(void)
{
    scripts_init();
    webhook_scripts_init();
    family_write_scripts_init();
}
