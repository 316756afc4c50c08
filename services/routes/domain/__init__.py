"""Pure domain of the routes service: no I/O, no framework.

`builder` picks the route's items, `supporters` the methodist or mentor, `support` the
young-teacher rule, `completion` when a route is done, `lifecycle` the status machine and
`educator` the aggregate that applies events and remembers what it emitted.
"""
