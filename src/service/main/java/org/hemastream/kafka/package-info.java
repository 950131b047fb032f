/**
 * Kafka infrastructure that is not the data path: the in-JVM KRaft broker for {@code demo},
 * {@code broker} and the tests ({@link org.hemastream.kafka.EmbeddedKafkaBroker}), hemastream's
 * topics and their start-up administration ({@link org.hemastream.kafka.Topics}), and the
 * {@code broker} command ({@link org.hemastream.kafka.BrokerCommand}). Plain Kafka clients, no
 * Vert.x: everything here blocks and runs at start-up, off the event loops.
 */
package org.hemastream.kafka;
