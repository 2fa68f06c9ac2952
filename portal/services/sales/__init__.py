"""Selling: placing paid orders, returns, pricing, stock, the till, shifts and finding sales."""
