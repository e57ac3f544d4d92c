"""Order aggregator scenario: two checks per order land in an Events table; its stream feeds an aggregator
that PutEvents the order's checks; a rule on both checks PASSED invokes the invoice function."""
