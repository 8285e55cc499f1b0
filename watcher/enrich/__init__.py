"""Reading the article page when the feed says too little.

    entries judged on the feed's text → which deserve a page? (decide.choose, the budget)
      → fetch each page (fetch.Fetcher: same client, limits and address policy as feeds)
      → extract and judge again in a worker (extract.read_and_judge)
      → the page verdict, or the headline verdict with the reason it stands

Never worse: every failure, refusal, unusable page or late page leaves the headline verdict in
force, with a note saying why; the whole step for one poll ends at `[enrich] deadline`.

Modules: `decide` (pure: which entries, the budget, what a page means), `extract` (a page's
text and metadata with trafilatura, in a worker), `reader` (the I/O: `Enricher`). This
package module imports nothing, so a worker that extracts does not load the HTTP client.
"""
