package org.hemastream.review;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Review outcomes as Prometheus metrics — what a lab watches to know its real false-alert rate. Computed from
 * every review on {@code hema.alert-reviews} (the whole topic, so they survive restarts), hence gauges:
 *
 * <ul>
 *   <li>{@code hemastream_review_slides{verdict}}: alerted slides by their latest verdict ({@code confirmed},
 *       {@code rejected}, {@code needs-microscopy}); {@code hemastream_review_open_alerts}: alerted slides without
 *       one. False-alert rate = rejected / (confirmed + rejected);</li>
 *   <li>{@code hemastream_review_cells{model, reviewer}}: cells a reviewer decided, by the model's call (flagged
 *       blast or not) and the reviewer's (blast or not): cell-level agreement with the model;</li>
 *   <li>{@code hemastream_review_decisions_published_total}: reviews this process wrote.</li>
 * </ul>
 */
public final class ReviewMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter published;

    public ReviewMetrics(ReviewInbox inbox) {
        for (String verdict : ReviewDecision.VERDICTS) {
            Gauge.builder("hemastream.review.slides", inbox, i -> i.outcomes().slidesByVerdict().getOrDefault(verdict, 0))
                    .description("alerted slides by the latest review verdict").tag("verdict", verdict).register(registry);
        }
        Gauge.builder("hemastream.review.open.alerts", inbox, i -> i.outcomes().openAlerts())
                .description("alerted slides without a review verdict").register(registry);
        for (String model : new String[]{"blast", "not_blast"}) {
            for (String reviewer : new String[]{"blast", "not_blast"}) {
                Gauge.builder("hemastream.review.cells", inbox,
                                i -> i.outcomes().cellsByCalls().getOrDefault(model + "/" + reviewer, 0))
                        .description("reviewed cells by the model's call and the reviewer's (latest decision per cell)")
                        .tag("model", model).tag("reviewer", reviewer).register(registry);
            }
        }
        published = Counter.builder("hemastream.review.decisions.published")
                .description("reviews written to the reviews topic by this process").register(registry);
    }

    void published() {
        published.increment();
    }

    /** Prometheus text; walks the inbox, so call it off the event loop. */
    public String scrape() {
        return registry.scrape();
    }
}
