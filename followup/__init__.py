"""回访: after a unit resolves a work order, the citizen hears the result on the channel they
used (web chat, Telegram, a phone call) and is asked 问题解决了吗？ and 您对办理结果满意吗？; the
answers go back to the work order (tickets/handling.py). When no channel reaches the citizen, or
nobody answers within 72 hours, the order goes on the agents' callback list."""
