"""The sources, one subpackage each, named after the system they read; none imports another.

| package    | system                         | source (ledger, CLI, flows, lineage) |
|------------|--------------------------------|--------------------------------------|
| `orders`   | the PostgreSQL orders database | `orders`                             |
| `stripe`   | Stripe webhooks and Events API | `payments`                           |
| `wms`      | the 3PL's SFTP drop folder     | `fulfillment`                        |
| `finance`  | finance's daily revenue report | read by the consistency gate         |
"""
