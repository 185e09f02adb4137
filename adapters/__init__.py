"""What talks to the world outside the process on the domain's behalf: the mail
transports (SMTP, `.eml` files), the HTTP client that posts webhook deliveries, and the
DNS lookup of webhook hosts.

The domain keeps the rules — what to send, when to try again, which addresses a webhook
may reach — and names the small interface it needs in the area that uses it
(domain/outbox/mail.py `MailTransport`, domain/webhooks/dispatch.py `Post`,
domain/webhooks/targets.py `Resolver`). The top hands these adapters in: api/wiring.py
and api/worker.py. Adapters import infra and those interface types; nothing in domain/,
auth/, schema/ or infra/ imports adapters (tests/unit/layout/test_layers.py)."""
