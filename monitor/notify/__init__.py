"""Notify: the mail builder, the delivery ledger, spike alerts and the daily digest."""
