"""Every mail Casebook sends, in the language of the account it is about (L1).

A mail is written by one function of this package, registered under its kind with
`@letter(...)` (domain.mails.letter): it takes the locale (`NL`, `DE`, `EN`) and what the
text needs, and returns the subject and the plain-text body, translated through the gettext catalogs
(domain.core.translations) and with dates, amounts and numbers formatted by
domain.core.locale_format. `post` queues it through the outbox (O1). Nothing else in
the code base queues mail (tests/unit/mails/test_mail_texts.py checks), so every mail is in
the registry, and the registry is what the tests render in every language.

Which language: a mail about a share or an invitation is in the sending account's
language; a mail about a person's own login in their language (domain.mails.language)."""
